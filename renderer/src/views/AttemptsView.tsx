import { useCallback, useEffect, useState } from 'react';
import { groupAttempts, type ConnectionAttempt } from '../../../shared/model/doctor.ts';
import { errorMessage } from '../api/errors.ts';
import { Icon } from '../components/Icon.tsx';
import { PageHeader } from '../components/PageHeader.tsx';
import { EmptyState, Loaded } from '../components/States.tsx';
import { formatDate, formatTime } from '../format.ts';
import { useTransport } from '../store/context.tsx';
import { LOADING, READY, type Loadable } from '../store/slice.ts';

/** The failed attempts, grouped by where they came from. */
function AttemptGroups(props: { attempts: readonly ConnectionAttempt[] }) {
  return groupAttempts(props.attempts).map((group) => (
    <section key={group.key} className="card attempt-group" aria-label={`Attempts from ${group.label}`}>
      <h2 className="card-title">{group.label}</h2>
      <ul className="attempt-list">
        {group.attempts.map((attempt) => (
          <li key={attempt.id} className="attempt" data-code={attempt.code}>
            <p className="attempt-fix">{attempt.fix}</p>
            <p className="attempt-cause">
              {attempt.cause}
              {attempt.wakeOnLan === 'sent' ? ' A Wake-on-LAN packet was sent.' : ''}
            </p>
            <p className="cell-secondary">
              {formatDate(attempt.time)} {formatTime(attempt.time)} · {attempt.stage}
              {attempt.host ? ` · ${attempt.host}` : ''}
              {attempt.detail ? ` · ${attempt.detail}` : ''}
            </p>
          </li>
        ))}
      </ul>
    </section>
  ));
}

/** Once read, the attempts are shown; a failed refresh keeps them. */
function attemptsLoad(attempts: readonly ConnectionAttempt[] | undefined, error: string | undefined): Loadable {
  if (attempts !== undefined) return READY;
  return error === undefined ? LOADING : { phase: 'error', error };
}

/** The connection doctor's "Recent attempts": failed connections by device or address, the fix as the main text. */
export function AttemptsView() {
  const { api } = useTransport();
  const [attempts, setAttempts] = useState<readonly ConnectionAttempt[] | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);

  const load = useCallback(async () => {
    try {
      setAttempts(await api['doctor.attempts'](undefined));
      setError(undefined);
    } catch (failure) {
      setError(errorMessage(failure));
    }
  }, [api]);

  useEffect(() => {
    void load();
    return api.on('doctor.attempt', (attempt) => setAttempts((current) => [attempt, ...(current ?? [])].slice(0, 200)));
  }, [api, load]);

  return (
    <>
      <PageHeader
        title="Recent attempts"
        description="Connections that failed, newest first, with what to do about each."
        actions={
          <button type="button" className="btn" onClick={() => void load()}>
            <Icon name="refresh" /> Refresh
          </button>
        }
      />
      <Loaded
        load={attemptsLoad(attempts, error)}
        none={attempts === undefined || attempts.length === 0}
        loadingLabel="Reading the recent attempts…"
        errorTitle="Could not read the recent attempts"
        onRetry={() => void load()}
        empty={
          <EmptyState icon="audit" title="No failed attempts">
            When a device cannot connect, the reason and what to do about it show up here.
          </EmptyState>
        }
      >
        {attempts ? <AttemptGroups attempts={attempts} /> : null}
      </Loaded>
    </>
  );
}

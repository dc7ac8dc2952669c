import { useEffect } from 'react';
import type { OnboardingStep } from '../../../../shared/model/onboarding.ts';
import { useHomegate } from '../../store/context.tsx';
import { ConnectStep } from './ConnectStep.tsx';
import { HostStep } from './HostStep.tsx';
import { stepsDone } from './progress.ts';
import { ReachStep } from './ReachStep.tsx';
import { StepCard } from './StepCard.tsx';
import { TrustStep } from './TrustStep.tsx';

/** Stable empties: a selector answering a new [] each time would re-render for ever. */
const NONE: readonly string[] = [];
const NO_STEPS: readonly OnboardingStep[] = [];

/** The first-run checklist: four steps from install to a first connection from outside, each saying if it is done. */
export function SetupChecklist() {
  const hostCount = useHomegate((state) => state.hosts.length);
  const publicNames = useHomegate((state) => state.settings?.publicNames ?? NONE);
  const certificateImported = useHomegate((state) => state.certificate?.source === 'imported');
  const completedSteps = useHomegate((state) => state.onboarding?.completedSteps ?? NO_STEPS);
  const markStep = useHomegate((state) => state.markStep);
  const setFinished = useHomegate((state) => state.setOnboardingFinished);
  const navigate = useHomegate((state) => state.navigate);
  const hide = async (): Promise<void> => {
    await setFinished(true);
    navigate('sessions');
  };
  const loadHosts = useHomegate((state) => state.loadHosts);
  const loadSettings = useHomegate((state) => state.loadSettings);
  const loadCertificate = useHomegate((state) => state.loadCertificate);
  const loadOnboarding = useHomegate((state) => state.loadOnboarding);
  useEffect(() => {
    void Promise.allSettled([loadHosts(), loadSettings(), loadCertificate(), loadOnboarding()]);
  }, [loadHosts, loadSettings, loadCertificate, loadOnboarding]);
  const done = stepsDone({ hostCount, publicNames, certificateImported, completedSteps });
  const mark = (step: OnboardingStep) => () => void markStep(step, true);
  const count = Object.values(done).filter(Boolean).length;
  return (
    <section className="setup" aria-labelledby="setup-title">
      <div className="setup-head">
        <h2 id="setup-title" className="setup-title">
          Get connected from anywhere
        </h2>
        <p className="muted" role="status">
          {count} of 4 steps done
        </p>
        <button type="button" className="btn btn-ghost btn-sm" onClick={() => void hide()}>
          {count === 4 ? 'Done: hide the checklist' : 'Hide the checklist'}
        </button>
      </div>
      <ol className="setup-steps">
        <StepCard id="host" number={1} title="Allow a PC" done={done.host}>
          <HostStep />
        </StepCard>
        <StepCard id="reach" number={2} title="How clients reach you" done={done.reach}>
          <ReachStep onHomeOnly={mark('reach')} />
        </StepCard>
        <StepCard id="trust" number={3} title="Trust the certificate" done={done.trust}>
          <TrustStep done={done.trust} onDone={mark('trust')} />
        </StepCard>
        <StepCard id="connect" number={4} title="Connect" done={done.connect}>
          <ConnectStep onConnected={mark('connect')} />
        </StepCard>
      </ol>
    </section>
  );
}

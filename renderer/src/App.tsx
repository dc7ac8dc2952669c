import { useHomegate } from './store/store.ts';

export function App() {
  const status = useHomegate((state) => state.status);
  const statusError = useHomegate((state) => state.statusError);
  const sessions = useHomegate((state) => state.sessions);

  return (
    <main>
      <header>
        <h1>Homegate</h1>
        {statusError ? (
          <p role="alert">The gateway did not answer: {statusError}</p>
        ) : status?.listening ? (
          <p>
            Listening on port {status.listening.port} · certificate <code>{status.certificateFingerprint}</code>
          </p>
        ) : (
          <p>Starting…</p>
        )}
      </header>
      <section aria-labelledby="sessions-heading">
        <h2 id="sessions-heading">Live sessions</h2>
        {sessions.length === 0 ? (
          <p>No one is connected.</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th scope="col">Host</th>
                <th scope="col">Client</th>
                <th scope="col">Since</th>
                <th scope="col">Sent / received</th>
              </tr>
            </thead>
            <tbody>
              {sessions.map((session) => (
                <tr key={session.id}>
                  <td>{session.host}</td>
                  <td>{session.clientName ?? session.clientAddress}</td>
                  <td>{new Date(session.startedAt).toLocaleTimeString()}</td>
                  <td>
                    {session.bytesToTarget} / {session.bytesToClient} bytes
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </main>
  );
}

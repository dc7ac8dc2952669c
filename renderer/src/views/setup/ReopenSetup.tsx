import { useHomegate } from '../../store/context.tsx';

/** Settings' way back to the first-run checklist: it shows again on Sessions until hidden, and opens now. */
export function ReopenSetup() {
  const setFinished = useHomegate((state) => state.setOnboardingFinished);
  const navigate = useHomegate((state) => state.navigate);
  return (
    <section className="card" aria-labelledby="reopen-setup">
      <h2 className="card-title" id="reopen-setup">
        Getting started
      </h2>
      <p>The checklist from the first run: allow a PC, reach it from outside, trust the certificate, connect.</p>
      <button type="button" className="btn" onClick={() => void setFinished(false).finally(() => navigate('setup'))}>
        Open the setup checklist
      </button>
    </section>
  );
}

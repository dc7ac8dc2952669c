import { useHomegate } from '../store/context.tsx';
import { Icon } from './Icon.tsx';

/**
 * Until a public name is set, .rdp files name this computer as the LAN knows it: they work at home and nowhere else.
 * Says so wherever a file is made, with the way out. Nothing shows until the settings are loaded.
 */
export function HomeOnlyWarning(props: { what?: string }) {
  const publicNames = useHomegate((state) => state.settings?.publicNames);
  const address = useHomegate((state) => state.status?.publicAddress);
  if (publicNames === undefined || publicNames.length > 0) return null;
  return (
    <div className="callout callout-warning" role="note" aria-label="Works only at home">
      <Icon name="alert" />
      <p>
        <strong>{props.what ?? 'This file'} will work only inside your home network.</strong> No public name is set, so
        it names this computer{address ? ` as ${address}` : ''}, which devices outside your home cannot reach. Add the
        name clients use from outside (your DNS or dynamic-DNS name) in <a href="#settings">Settings</a>.
      </p>
    </div>
  );
}

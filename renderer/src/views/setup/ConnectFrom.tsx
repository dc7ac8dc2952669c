import { useState } from 'react';
import { QrCode } from '../../components/QrCode.tsx';
import { useHomegate, useTransport } from '../../store/context.tsx';
import { CLIENT_GUIDES } from './connect-clients.ts';
import { FreerdpCommand } from './FreerdpCommand.tsx';

/** The /connect link for `host`: a fresh .rdp file for whoever opens it signed in to this admin page. */
export function connectLink(publicAddress: string, host: string): string {
  return `https://${publicAddress}/connect?host=${encodeURIComponent(host)}`;
}

/** "Connect from…": each client's way in, the FreeRDP line, and (web admin) a QR code of the /connect link. */
export function ConnectFrom(props: { host: string }) {
  const publicAddress = useHomegate((state) => state.status?.publicAddress);
  const webAdmin = useTransport().logout !== undefined;
  const [chosen, setChosen] = useState(CLIENT_GUIDES[0]?.id ?? '');
  const guide = CLIENT_GUIDES.find((candidate) => candidate.id === chosen) ?? CLIENT_GUIDES[0];
  const link = publicAddress ? connectLink(publicAddress, props.host) : undefined;
  return (
    <div className="setup-connect-from">
      <label className="setup-host-choice">
        <span className="field-label">Connect from</span>
        <select className="input" value={chosen} onChange={(event) => setChosen(event.target.value)}>
          {CLIENT_GUIDES.map((candidate) => (
            <option key={candidate.id} value={candidate.id}>
              {candidate.label}
            </option>
          ))}
        </select>
      </label>
      <ul className="setup-guide-steps">
        {guide?.steps.map((text) => (
          <li key={text}>{text}</li>
        ))}
      </ul>
      {guide?.id === 'freerdp' ? <FreerdpCommand host={props.host} /> : null}
      {webAdmin && link ? (
        <figure className="setup-qr">
          <QrCode text={link} label={`QR code of ${link}`} />
          <figcaption>
            On a phone, scan this to open <span className="mono">{link}</span>: after signing in to this page there, it
            downloads a fresh {props.host}.rdp for the Windows App.
          </figcaption>
        </figure>
      ) : null}
    </div>
  );
}

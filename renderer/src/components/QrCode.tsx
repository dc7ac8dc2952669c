import { useMemo } from 'react';
import { create } from 'qrcode';

/** Four modules of light margin all round, as the QR specification asks for readers to find the code. */
const QUIET_ZONE = 4;

/**
 * A QR code for `text`, drawn as inline SVG (no canvas, no data: URL, nothing the page's CSP must allow): one path
 * of dark modules on a light square, sharp at any size. `label` says what it is for screen readers.
 */
export function QrCode(props: { text: string; label: string; size?: number }) {
  const { path, extent } = useMemo(() => {
    const { modules } = create(props.text, { errorCorrectionLevel: 'M' });
    const parts: string[] = [];
    for (let row = 0; row < modules.size; row += 1) {
      for (let column = 0; column < modules.size; column += 1) {
        if (modules.get(row, column)) parts.push(`M${column + QUIET_ZONE} ${row + QUIET_ZONE}h1v1h-1z`);
      }
    }
    return { path: parts.join(''), extent: modules.size + 2 * QUIET_ZONE };
  }, [props.text]);
  const size = props.size ?? 200;
  return (
    <svg
      className="qr-code"
      role="img"
      aria-label={props.label}
      width={size}
      height={size}
      viewBox={`0 0 ${extent} ${extent}`}
      shapeRendering="crispEdges"
    >
      <rect width={extent} height={extent} fill="#fff" />
      <path d={path} fill="#000" />
    </svg>
  );
}

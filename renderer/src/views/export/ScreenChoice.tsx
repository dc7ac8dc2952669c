import type { RdpOptions } from '../../../../shared/ipc/contract.ts';

const SCREENS: readonly { value: RdpOptions['screenMode']; label: string }[] = [
  { value: 'fullscreen', label: 'Full screen' },
  { value: 'window', label: 'Window' },
];

/** Full screen or a window, as a segmented control. */
export function ScreenChoice(props: {
  value: RdpOptions['screenMode'];
  onChange: (value: RdpOptions['screenMode']) => void;
}) {
  return (
    <fieldset className="segmented-field">
      <legend className="field-label">Screen</legend>
      <div className="segmented">
        {SCREENS.map((screen) => (
          <label key={screen.value} className={props.value === screen.value ? 'segment segment-selected' : 'segment'}>
            <input
              type="radio"
              name="screenMode"
              checked={props.value === screen.value}
              onChange={() => props.onChange(screen.value)}
            />
            {screen.label}
          </label>
        ))}
      </div>
    </fieldset>
  );
}

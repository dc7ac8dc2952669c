/** One choice of a radio group, drawn as a card with a title and a line of text. */
export function RadioCard(props: {
  name: string;
  checked: boolean;
  disabled?: boolean;
  title: string;
  text: string;
  onSelect: () => void;
}) {
  const classes = ['choice', props.checked ? 'choice-selected' : '', props.disabled ? 'choice-disabled' : '']
    .filter(Boolean)
    .join(' ');
  return (
    <label className={classes}>
      <input
        type="radio"
        name={props.name}
        checked={props.checked}
        disabled={props.disabled}
        onChange={props.onSelect}
      />
      <span className="choice-title">{props.title}</span>
      <span className="choice-text">{props.text}</span>
    </label>
  );
}

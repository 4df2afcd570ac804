/** Radio buttons drawn as a segmented switch: how many days a usage chart looks back. */
export function DaysSwitch<T extends number>({
  name,
  options,
  value,
  onChange,
}: {
  name: string;
  options: readonly T[];
  value: T;
  onChange(days: NoInfer<T>): void;
}) {
  return (
    <fieldset class="segmented">
      <legend class="sr-only">Period</legend>
      {options.map((days) => (
        <label>
          <input type="radio" name={name} checked={value === days} onChange={() => onChange(days)} />
          <span>{days} days</span>
        </label>
      ))}
    </fieldset>
  );
}

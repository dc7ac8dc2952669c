import type { ReactNode } from 'react';

/** A column heading: its text, shown or only read out (an actions column), and `num` for right-aligned figures. */
export type Column = string | { readonly label: string; readonly hidden?: boolean; readonly num?: boolean };

/** The actions column: nothing on screen, "Actions" to a screen reader. */
export const ACTIONS: Column = { label: 'Actions', hidden: true };

function Heading({ column }: { column: Column }) {
  if (typeof column === 'string') return <th scope="col">{column}</th>;
  return (
    <th scope="col" className={column.num ? 'num' : undefined}>
      {column.hidden ? <span className="sr-only">{column.label}</span> : column.label}
    </th>
  );
}

/** A table of records: its caption for screen readers, one heading a column, and the rows as children. */
export function DataTable(props: {
  caption: string;
  columns: readonly Column[];
  className?: string;
  children: ReactNode;
}) {
  return (
    <div className="table-wrap">
      <table className={props.className ? `table ${props.className}` : 'table'}>
        <caption className="sr-only">{props.caption}</caption>
        <thead>
          <tr>
            {props.columns.map((column) => (
              <Heading key={typeof column === 'string' ? column : column.label} column={column} />
            ))}
          </tr>
        </thead>
        <tbody>{props.children}</tbody>
      </table>
    </div>
  );
}

import { useEffect } from 'react';
import { useHomegate } from '../store/context.tsx';
import type { Notice } from '../store/slices/ui.ts';
import { Icon } from './Icon.tsx';

const VISIBLE_MS: Readonly<Record<Notice['tone'], number>> = { success: 5000, info: 5000, error: 10_000 };

function NoticeItem(props: { notice: Notice }) {
  const dismiss = useHomegate((state) => state.dismissNotice);
  const { id, tone, text } = props.notice;
  useEffect(() => {
    const timer = setTimeout(() => dismiss(id), VISIBLE_MS[tone]);
    return () => clearTimeout(timer);
  }, [dismiss, id, tone]);
  return (
    <li className={`notice notice-${tone}`}>
      <Icon name={tone === 'success' ? 'check' : tone === 'error' ? 'alert' : 'info'} />
      <span className="notice-text">{text}</span>
      <button type="button" className="icon-btn" aria-label="Dismiss" onClick={() => dismiss(id)}>
        <Icon name="close" />
      </button>
    </li>
  );
}

/** Short confirmations and failures of actions, announced politely to screen readers. */
export function Notices() {
  const notices = useHomegate((state) => state.notices);
  return (
    <ol className="notices" aria-live="polite" aria-label="Notifications">
      {notices.map((notice) => (
        <NoticeItem key={notice.id} notice={notice} />
      ))}
    </ol>
  );
}

import type { CallHandlers, HandlerDeps } from '../dispatch.ts';

export function doctorHandlers({
  service,
}: HandlerDeps): Pick<CallHandlers, 'doctor.attempts' | 'doctor.clear' | 'doctor.reachability'> {
  return {
    'doctor.attempts': () => Promise.resolve(service.attempts.list()),
    'doctor.clear': () => {
      service.attempts.clear();
      return Promise.resolve(true);
    },
    'doctor.reachability': () => Promise.resolve(service.reachability.list()),
  };
}

import type { OnboardingStep } from '../../../../shared/model/onboarding.ts';

export interface SetupFacts {
  readonly hostCount: number;
  readonly publicNames: readonly string[];
  readonly certificateImported: boolean;
  readonly completedSteps: readonly OnboardingStep[];
}

/**
 * Which steps are done. A step the gateway can see for itself counts from what it sees (a host allowed, a public
 * name set, a publicly trusted certificate imported); the rest count once the user said so (marked, or did it here).
 */
export function stepsDone(facts: SetupFacts): Readonly<Record<OnboardingStep, boolean>> {
  const marked = new Set(facts.completedSteps);
  return {
    host: facts.hostCount > 0,
    reach: facts.publicNames.length > 0 || marked.has('reach'),
    trust: facts.certificateImported || marked.has('trust'),
    connect: marked.has('connect'),
  };
}

import { useMemo } from 'react';
import type { IssuedToken } from '../../../shared/model/ui.ts';
import { useHomegate } from '../store/context.tsx';

/** Issued tokens by id (lower case), to name the device or label behind a token id. */
export function useTokenNames(): ReadonlyMap<string, IssuedToken> {
  const tokens = useHomegate((state) => state.tokens);
  return useMemo(() => new Map(tokens.map((token) => [token.jti.toLowerCase(), token])), [tokens]);
}

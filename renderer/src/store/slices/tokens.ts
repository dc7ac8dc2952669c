import type { CallInput, CallOutput } from '../../../../shared/ipc/contract.ts';
import type { DownloadLink, ExportedFile, IssuedToken } from '../../../../shared/model/ui.ts';
import { IDLE, loader, type Loadable, type SliceCreator } from '../slice.ts';

export type TokenRequest = CallInput<'tokens.issue'>;
export type IssueResult = CallOutput<'tokens.issue'>;
export type RdpExportRequest = CallInput<'rdp.export'>;
export type DownloadLinkRequest = CallInput<'rdp.downloadLink'>;

export type TokenStatus = 'active' | 'expired' | 'revoked';

export function tokenStatus(token: IssuedToken, now: number): TokenStatus {
  if (token.revokedAt !== undefined) return 'revoked';
  return Date.parse(token.expiresAt) <= now ? 'expired' : 'active';
}

export interface TokensSlice {
  /** Newest first. */
  readonly tokens: readonly IssuedToken[];
  readonly tokensLoad: Loadable;
  readonly loadTokens: () => Promise<void>;
  /** Returns the token itself once; the store keeps only its metadata. */
  readonly issueToken: (request: TokenRequest) => Promise<IssueResult>;
  readonly revokeToken: (jti: string) => Promise<void>;
  /** Builds an .rdp file, which issues a token of its own (so the list is refreshed). */
  readonly exportRdp: (request: RdpExportRequest) => Promise<ExportedFile>;
  /** A one-time link to the file for a phone (its token is made when the link is used). */
  readonly createDownloadLink: (request: DownloadLinkRequest) => Promise<DownloadLink>;
}

const newestFirst = (a: IssuedToken, b: IssuedToken): number => b.issuedAt.localeCompare(a.issuedAt);

export const createTokensSlice: SliceCreator<TokensSlice> = (set, get, api) => ({
  tokens: [],
  tokensLoad: IDLE,
  loadTokens: loader(set, get, 'tokensLoad', async () => ({
    tokens: [...(await api['tokens.list'](undefined))].sort(newestFirst),
  })),
  async issueToken(request) {
    const result = await api['tokens.issue'](request);
    set({ tokens: [result.issued, ...get().tokens.filter((t) => t.jti !== result.issued.jti)].sort(newestFirst) });
    return result;
  },
  async revokeToken(jti) {
    await api['tokens.revoke']({ jti });
    const revokedAt = new Date().toISOString();
    set({
      tokens: get().tokens.map((t) => (t.jti === jti && t.revokedAt === undefined ? { ...t, revokedAt } : t)),
    });
    // The gateway's own record (its revocation time) replaces the local guess.
    void get().loadTokens();
  },
  async exportRdp(request) {
    const file = await api['rdp.export'](request);
    void get().loadTokens();
    return file;
  },
  createDownloadLink: (request) => api['rdp.downloadLink'](request),
});

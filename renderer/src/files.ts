import type { ExportedFile } from '../../shared/model/ui.ts';
import { base64ToBytes, bytesToBase64 } from './format.ts';

/**
 * Hands a file from the gateway to the user: a Blob behind an object URL, clicked through `<a download>`. In a
 * browser that is a download; in the desktop app Electron's download handling (`will-download`) saves it.
 * Navigating to a blob: URL for a download is not a fetch, so the page's CSP (no blob: anywhere) does not block it.
 */
export function saveExportedFile(file: ExportedFile): void {
  const blob = new Blob([base64ToBytes(file.contentBase64)], { type: file.mimeType });
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = file.fileName;
  link.rel = 'noopener';
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  // The download has its own reference to the blob once it starts; free ours a little later.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** Reads a picked file as text (PEM). */
export function readFileText(file: File): Promise<string> {
  return file.text();
}

/** Reads a picked file as base64 (PFX). */
export async function readFileBase64(file: File): Promise<string> {
  return bytesToBase64(new Uint8Array(await file.arrayBuffer()));
}

/** Copies text; falls back to selecting it for a manual copy when the Clipboard API is refused. */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

// What a scanned code says. A booking's QR code holds its six-character
// code, bare or as the code= of a link; anything else is not a booking.

const codeRE = /^[A-Z0-9]{6}$/;

/** The booking code a scanned text carries, or "" when it carries none. */
export function bookingCodeIn(raw: string): string {
  const text = raw.trim();
  if (codeRE.test(text.toUpperCase())) return text.toUpperCase();
  try {
    const code = new URL(text).searchParams.get("code") ?? "";
    return codeRE.test(code.toUpperCase()) ? code.toUpperCase() : "";
  } catch {
    return "";
  }
}

/** Whether this browser can scan with the camera (BarcodeDetector and a camera API). */
export function canScan(): boolean {
  return typeof window !== "undefined" && "BarcodeDetector" in window && !!navigator.mediaDevices?.getUserMedia;
}

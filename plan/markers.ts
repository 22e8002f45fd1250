/** What `npm run plan` prints in place of a secret, and of a value known only after `up` (see ./mask.ts). */
export const SECRET = "[secret]";
export const UNKNOWN = "[unknown]";

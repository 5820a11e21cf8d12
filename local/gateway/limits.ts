/** Kong's integer fields (timeouts, cache seconds...) stop at 2^31 - 2. */
export const MAX_INTEGER = 2_147_483_646;

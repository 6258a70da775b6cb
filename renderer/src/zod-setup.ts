import { z } from 'zod';

/**
 * Must be the first import of the entry: zod 4 compiles fast object parsers with `new Function` unless told
 * not to, and decides when each schema is built (at import of the contract). Under the server's CSP
 * (`default-src 'self'`, no 'unsafe-eval') that probe is refused and reported as a violation; jitless mode
 * avoids it with the same results.
 */
z.config({ jitless: true });

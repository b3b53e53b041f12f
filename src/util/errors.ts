/** An error in what the caller passed (a config field, an action, a map): the message names the field
 * and the allowed values. The command line prints these as one line and exits with status 2. */
export class InputError extends Error {
  override name = 'InputError';
}

/**
 * The one rule for a Windows account name (a local account, or a directory user's
 * sAMAccountName): 1 to 20 characters, none of `"/\[]:;|=,+*?<>@` nor a control character, and
 * not only dots and spaces. `@` is refused too: a name with it reads as a user principal name.
 * Node desktops' session script, the DesktopSession CRD, the SDK and the broker all check it here.
 * @see https://learn.microsoft.com/en-us/windows/win32/adschema/a-samaccountname
 */
export const WINDOWS_ACCOUNT_MAX_LENGTH = 20;

const ALLOWED = '[^"/\\\\\\[\\]:;|=,+*?<>@\\x00-\\x1f]';
const ALLOWED_NOT_DOT_OR_SPACE = '[^"/\\\\\\[\\]:;|=,+*?<>@\\x00-\\x1f. ]';

/**
 * The characters part of the rule as a regular expression that both JavaScript and the API
 * server's (Go RE2, no look-ahead) accept; the length is checked apart (`maxLength` in the CRD).
 */
export const WINDOWS_ACCOUNT_PATTERN = `^${ALLOWED}*${ALLOWED_NOT_DOT_OR_SPACE}${ALLOWED}*$`;

const PATTERN = new RegExp(WINDOWS_ACCOUNT_PATTERN);

/** What a valid name looks like, for error messages. */
export const WINDOWS_ACCOUNT_RULE = 'a Windows account name has 1 to 20 characters, none of "/\\[]:;|=,+*?<>@ or control characters, and not only dots and spaces';

/** Whether `value` is a valid Windows account name. */
export function isWindowsAccountName(value: unknown): value is string {
  return typeof value === 'string' && value.length >= 1 && value.length <= WINDOWS_ACCOUNT_MAX_LENGTH && PATTERN.test(value);
}

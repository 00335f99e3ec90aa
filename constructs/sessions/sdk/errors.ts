/** Base of every error the session SDK throws on purpose; `code` is stable for programs to branch on. */
export class DesktopSessionError extends Error {
  constructor(public readonly code: string, message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The request is malformed: an unmappable user id, a timeout out of range, a size the class does not allow. */
export class InvalidSessionRequestError extends DesktopSessionError {
  constructor(message: string, public readonly field: string) {
    super('InvalidRequest', message);
  }
}

/** No `DesktopClass` of that name exists. */
export class UnknownDesktopClassError extends DesktopSessionError {
  constructor(public readonly desktopClass: string) {
    super('UnknownDesktopClass', `there is no DesktopClass "${desktopClass}"; list them with \`kubectl get desktopclasses\`.`);
  }
}

/** The user already has as many active sessions as the class allows. */
export class SessionLimitExceededError extends DesktopSessionError {
  constructor(public readonly userId: string, public readonly limit: number, public readonly activeSessions: string[]) {
    super('SessionLimitExceeded', `user "${userId}" already has ${activeSessions.length} active session(s) (${activeSessions.join(', ')}); the class allows ${limit}. End one first.`);
  }
}

/** No session of that name exists. */
export class SessionNotFoundError extends DesktopSessionError {
  constructor(public readonly sessionName: string) {
    super('SessionNotFound', `there is no DesktopSession "${sessionName}".`);
  }
}

/** The session can no longer be changed (it is ending, ended or failed). */
export class SessionEndedError extends DesktopSessionError {
  constructor(public readonly sessionName: string, phase: string) {
    super('SessionEnded', `DesktopSession "${sessionName}" is ${phase}; it can no longer be extended.`);
  }
}

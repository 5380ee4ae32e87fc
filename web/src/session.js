// Who is logged in: the answer of POST /api/login or GET /api/session. setupSecondFactor: the
// role needs a second factor the user has not set up; only #/second-factor works until it is.
export const session = { user: null, role: null, groups: [], setupSecondFactor: false };

export function setSession(data) {
  session.user = data ? data.user : null;
  session.role = data ? data.role : null;
  session.groups = data && Array.isArray(data.groups) ? data.groups : [];
  session.setupSecondFactor = Boolean(data && data.setup_second_factor);
}

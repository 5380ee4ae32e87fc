// Who is logged in: the answer of POST /api/login or GET /api/session.
export const session = { user: null, role: null, groups: [] };

export function setSession(data) {
  session.user = data ? data.user : null;
  session.role = data ? data.role : null;
  session.groups = data && Array.isArray(data.groups) ? data.groups : [];
}

/** What `RouteTree.find` answers; also the status a server should use for it. */
export const RouteStatus = { Found: 200, BadRequest: 400, NotFound: 404, MethodNotAllowed: 405 } as const;
export type RouteStatus = (typeof RouteStatus)[keyof typeof RouteStatus];

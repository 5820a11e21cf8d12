/*
 * Token procedure for introspection with "Accept: application/jwt" (flow
 * oauth-introspect-application-jwt on the introspection endpoint).
 *
 * This is the server half of the phantom token pattern: the gateway sends
 * the opaque access token it received and gets back a signed JWT carrying
 * the same data (subject, scope, audience, expiry and the custom claims),
 * which it forwards to the MCP server. An inactive token yields no JWT, so
 * the gateway can never forward one for it.
 *
 * @param {se.curity.identityserver.procedures.context.IntrospectionApplicationJwtTokenProcedureContext} context
 */
function result(context) {
    var presented = context.presentedToken;
    if (!presented || !presented.active || !context.delegation) {
        return { active: false };
    }

    // The JWT repeats the opaque token's data unchanged, including its
    // expiry, so a cached JWT can never outlive the token it stands for.
    var jwtIssuer = context.getDefaultAccessTokenJwtIssuer();
    return {
        active: true,
        jwt: jwtIssuer.issue(presented.data, context.delegation)
    };
}

/*
 * Claims provider procedure for the claims of the stocks/read scope.
 *
 * region comes from the user's account attributes (the seeded accounts hold
 * it, see db/seed-users.sql); client_type and client_assurance_level come
 * from the properties that the registration policy stored on the dynamic
 * client, or the same values the policy gives, for a client described by a
 * client ID metadata document (an ephemeral client, whose client ID is the
 * https URL of the document). The stocks API filters on region and can
 * refuse or limit MCP clients on the other two.
 *
 * @param {se.curity.identityserver.procedures.claims.ClaimsProviderProcedureContext} context
 */
function result(context) {
    var claims = {};

    var account = accountAttributes(context);
    if (account && account.region) {
        claims.region = String(account.region);
    }

    var client = context.client;
    var properties = client ? client.properties : null;
    if (client && isEphemeral(client)) {
        // A client ID metadata document client has no stored properties: it
        // gets what the registration policy gives every MCP client.
        claims.client_type = 'mcp';
        claims.client_assurance_level = 1;
    } else if (properties) {
        if (properties.client_type) {
            claims.client_type = String(properties.client_type);
        }
        if (properties.client_assurance_level !== undefined && properties.client_assurance_level !== null) {
            // Stored properties may come back as text; the API expects a number.
            claims.client_assurance_level = Number(properties.client_assurance_level);
        }
    }
    return claims;
}

// The data source's attribute query returns the account's attributes column,
// which holds JSON text (or an already parsed object on some drivers).
function accountAttributes(context) {
    var dataSource = context.getAttributeDataSource();
    if (!dataSource) {
        return null;
    }
    var rows = dataSource.getAttributes(context.subjectAttributes.subject);
    var row = null;
    try {
        row = rows ? rows.getRow(0) : null;
    } catch (noSuchRow) {
        return null;
    }
    if (!row || row.attributes === undefined || row.attributes === null) {
        return null;
    }
    if (typeof row.attributes === 'string') {
        return JSON.parse(row.attributes);
    }
    return row.attributes;
}

// Only ephemeral clients have https URLs as client IDs here.
function isEphemeral(client) {
    return client.id !== undefined && client.id !== null && String(client.id).indexOf('https://') === 0;
}

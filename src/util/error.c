#include "util/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Indexed by err_code: keep in the enum's order. */
static const struct {
    int http;
    const char *name;
    const char *fr;
    const char *en;
} registry[ERR_COUNT] = {
    [ERR_NONE] = {200, "ok", "Opération réussie.", "Success."},
    [ERR_BAD_REQUEST] = {400, "bad_request", "La demande est mal formée.",
                         "The request is malformed."},
    [ERR_MISSING_ARG] = {400, "missing_argument", "Une information obligatoire manque.",
                         "A required argument is missing."},
    [ERR_INVALID_ARG] = {400, "invalid_argument", "Une information fournie n'est pas valide.",
                         "An argument is not valid."},
    [ERR_UNAUTHORIZED] = {401, "unauthorized", "Une authentification est nécessaire.",
                          "Authentication is required."},
    [ERR_FORBIDDEN] = {403, "forbidden", "Vous n'avez pas accès à cette ressource.",
                       "Access to this resource is not allowed."},
    [ERR_NOT_FOUND] = {404, "not_found", "La ressource demandée est introuvable.",
                       "The requested resource does not exist."},
    [ERR_METHOD] = {405, "method_not_allowed", "Cette méthode n'est pas acceptée ici.",
                    "This method is not allowed here."},
    [ERR_CONFLICT] = {409, "conflict", "Cette opération n'est pas possible dans l'état actuel.",
                      "This operation conflicts with the current state."},
    [ERR_TOO_LARGE] = {413, "payload_too_large", "Les données envoyées sont trop volumineuses.",
                       "The request body is too large."},
    [ERR_URI_TOO_LONG] = {414, "uri_too_long",
                          "L'adresse demandée est trop longue : merci de réduire les filtres.",
                          "The requested address is too long: please use fewer filters."},
    [ERR_MISDIRECTED] = {421, "misdirected_request",
                         "Aucune collectivité ne répond à cette adresse.",
                         "No local authority answers at this address."},
    [ERR_UNSUPPORTED] = {415, "unsupported_media_type",
                         "Ce type de contenu n'est pas accepté.",
                         "This content type is not supported."},
    [ERR_RATE_LIMITED] = {429, "rate_limited",
                          "Trop de demandes en peu de temps : merci de réessayer dans un instant.",
                          "Too many requests: please retry in a moment."},
    [ERR_INTERNAL] = {500, "internal_error",
                      "Une erreur interne est survenue ; elle a été enregistrée.",
                      "An internal error occurred; it has been logged."},
    [ERR_UNAVAILABLE] = {503, "service_unavailable",
                         "Le service est momentanément indisponible : merci de réessayer.",
                         "The service is temporarily unavailable: please retry."},
};

int error_set(error *e, err_code code, const char *arg, const char *detail, ...)
{
    if (!e)
        return -1;
    e->code = code;
    snprintf(e->arg, sizeof e->arg, "%s", arg ? arg : "");
    e->detail[0] = '\0';
    if (detail) {
        va_list ap;
        va_start(ap, detail);
        vsnprintf(e->detail, sizeof e->detail, detail, ap);
        va_end(ap);
    }
    return -1;
}

void error_clear(error *e)
{
    if (e)
        memset(e, 0, sizeof *e);
}

int err_http_status(err_code code)
{
    return (code >= ERR_NONE && code < ERR_COUNT) ? registry[code].http : 500;
}

const char *err_name(err_code code)
{
    return (code >= ERR_NONE && code < ERR_COUNT) ? registry[code].name : "internal_error";
}

const char *err_message(err_code code, lang l)
{
    if (code < ERR_NONE || code >= ERR_COUNT)
        code = ERR_INTERNAL;
    return l == LANG_EN ? registry[code].en : registry[code].fr;
}

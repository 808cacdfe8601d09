/*
 * backoffice — the agents' pages under /agent/: the entrance (login, second factor, TOTP
 * enrolment, logout), the inbox, a request's page and intake, and the administration of the
 * tenant. Each file exports one route table; the server mounts them, in this order, under
 * "/agent/" with web_write_error as the error writer.
 */
#ifndef GUICHET_WEB_BACKOFFICE_BACKOFFICE_H
#define GUICHET_WEB_BACKOFFICE_BACKOFFICE_H

#include "http/http.h"

/* /agent/connexion, /agent/connexion/code, /agent/totp, /agent/deconnexion (bo_auth.c). */
extern const http_route bo_auth_routes[];
/* /agent/notifications: an agent's choice of new-request notices (bo_notices.c). */
extern const http_route bo_notices_routes[];
/* The administration, one table per thing administered: /agent/admin, the overview
 * (bo_admin_common.c); /agent/admin/services, the departments (bo_admin_departments.c);
 * /agent/admin/agents (bo_admin_agents.c); /agent/admin/demarches, the procedures
 * (bo_admin_procedures.c); /agent/admin/cles, the API keys (bo_admin_keys.c);
 * /agent/admin/collectivite, the collectivité's own settings (bo_admin_settings.c);
 * /agent/admin/audit, the audit log (bo_admin_audit.c); /agent/admin/routage, the routing
 * rules (bo_admin_routing.c); /agent/admin/zones, the areas (bo_admin_zones.c);
 * /agent/admin/certificats, the trust anchors of signed PDF files (bo_admin_trust.c). */
extern const http_route bo_admin_overview_routes[];
extern const http_route bo_admin_department_routes[];
extern const http_route bo_admin_zone_routes[];
extern const http_route bo_admin_agent_routes[];
extern const http_route bo_admin_procedure_routes[];
extern const http_route bo_admin_form_builder_routes[];
extern const http_route bo_admin_key_routes[];
extern const http_route bo_admin_trust_routes[];
/* /agent/admin/signatures: the élus' signing keys and délégations (bo_admin_signing.c). */
extern const http_route bo_admin_signing_routes[];
/* /agent/admin/couts: the costs of a request per channel (bo_admin_costs.c). */
extern const http_route bo_admin_costs_routes[];
extern const http_route bo_admin_mail_in_routes[];
extern const http_route bo_admin_webhook_routes[];
extern const http_route bo_admin_mail_routes[];
extern const http_route bo_admin_sms_routes[];
extern const http_route bo_admin_settings_routes[];
extern const http_route bo_admin_audit_routes[];
extern const http_route bo_admin_routing_routes[];
extern const http_route bo_admin_workflow_routes[];
extern const http_route bo_admin_procedure_workflow_routes[];
/* /agent/admin/registre (the RGPD register, also .csv, .json and printable) and
 * /agent/admin/export (one citizen's data, audited) (bo_rgpd.c). */
extern const http_route bo_rgpd_routes[];
/* /agent/admin/conservation… (retention, bordereaux d'élimination) and /agent/admin/comptes
 * (citizens' accounts deleted on request) (bo_retention.c). */
extern const http_route bo_retention_routes[];
/* The agents' work, one table per area: /agent/ (the inbox, saved filters, bulk actions;
 * bo_inbox.c), /agent/demandes/… (one request; bo_request.c), /agent/saisie (filing for a
 * citizen; bo_intake.c), /agent/terrain… (the field agent; bo_mobile.c). */
extern const http_route bo_inbox_routes[];
extern const http_route bo_request_routes[];
/* Letter templates (admins) and letters issued from a request (bo_letters.c). */
extern const http_route bo_letters_routes[];
extern const http_route bo_intake_routes[];
/* The post room (bo_courrier.c). */
extern const http_route bo_courrier_routes[];
extern const http_route bo_mobile_routes[];
/* /agent/appel?tel=…: who is calling, their requests and the intake prefilled for them
 * (bo_caller.c). */
extern const http_route bo_caller_routes[];
/* /agent/demandes/{ref}/recu (the citizen's printable receipt, with the short code the
 * previous page showed) and /agent/demandes/{ref}/code (a new short code) (bo_receipt.c). */
extern const http_route bo_receipt_routes[];
/* /agent/parapheur…, the élus' signing queue, and /agent/demandes/{ref}/signature, a
 * document sent for signature (bo_parapheur.c). */
extern const http_route bo_parapheur_routes[];
/* /agent/diffusions: broadcasts to subscribers, for managers and admins (bo_broadcasts.c). */
extern const http_route bo_broadcast_routes[];
/* /agent/pilotage: the dashboards, for managers, élus and admins (bo_pilotage.c). */
extern const http_route bo_pilotage_routes[];
/* /agent/pilotage/carte, the incidents map of the dashboards (bo_pilotage_map.c). */
extern const http_route bo_pilotage_map_routes[];

/* The admission of the pages behind the login (an http_admit, for the admin and inbox
 * tables): a body is read only for a live agent session and a CSRF cookie; otherwise the
 * answer bo_agent or web_admit_form gives, before the body is sent, so that an upload never
 * reaches memory or disk without a session. */
int bo_admit(http_req *rq);

#endif

/*
 * demo_data — the static content of «Ville de Démo», a fictional commune of about 20,000
 * inhabitants: its services, its catalogue of procedures (with attribute definitions using
 * all six Open311 datatypes), its streets and the French text fragments the loader composes
 * requests and timelines from. Kept apart from demo.c so that the generator stays readable.
 */
#include "cli/demo_data.h"

#include <string.h>

const store_tenant demo_tenant = {
    .slug = "ville-demo",
    .name = "Ville de Démo",
    /* 127.0.0.1 first: the links of the demo's e-mails then lead to http://127.0.0.1:PORT,
     * the address `make run` prints (http_base_url). */
    .hosts = "127.0.0.1 localhost ville-demo.test",
    .timezone = "Europe/Paris",
    .contact = "Mairie de Ville de Démo, 1 place de la Mairie, 01 23 45 67 89, "
               "contact@ville-demo.test",
};

const branding_input demo_branding = {
    .name = "Ville de Démo",
    .contact = "Mairie de Ville de Démo, 1 place de la Mairie, 01 23 45 67 89, "
               "contact@ville-demo.test",
    .colour_primary = "#005a70",
    .colour_secondary = "#263846",
    .hours_day = {"8:30-12:00, 13:30-17:30", "8:30-12:00, 13:30-17:30", "8:30-12:00, 13:30-17:30",
                  "8:30-12:00, 13:30-17:30", "8:30-12:00, 13:30-16:30", "9:00-12:00", ""},
    .hours_notes = "Fermé les jours fériés.\nLe 24 décembre, fermeture à 16 h.",
    .address = "Hôtel de ville\n1 place de la Mairie\n69999 Ville-de-Démo",
    .phone = "01 23 45 67 89",
    .email = "contact@ville-demo.test",
    .website = "https://www.ville-demo.test",
    .map_lat = "45.7640",
    .map_lon = "4.8357",
    .map_zoom = "14",
    .publication_director = "Marie Dupont, maire de Ville de Démo",
    .dpo = "Délégué à la protection des données de Ville de Démo\n"
           "dpo@ville-demo.test\n"
           "Hôtel de ville, 1 place de la Mairie, 69999 Ville-de-Démo",
    .host = "Hébergeur de démonstration SAS\n10 rue des Serveurs, 69000 Lyon\n04 00 00 00 00",
};

/* A shield with a tower: the demo's coat of arms, drawn for guichet. */
const char demo_logo_svg[] =
    "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 64 72\" width=\"64\" "
    "height=\"72\">"
    "<path d=\"M4 4h56v30c0 18-14 30-28 36C18 64 4 52 4 34z\" fill=\"#005a70\" "
    "stroke=\"#f2c94c\" stroke-width=\"4\"/>"
    "<path d=\"M18 50V30h6v-6h5v6h6v-6h5v6h6v20h-10v-8a4 4 0 0 0-8 0v8z\" fill=\"#f2c94c\"/>"
    "</svg>";

/* ---- departments and their agents ---- */

static const char *const agents_voirie[] = {"agent:martin.durand", "agent:karim.benali",
                                            "agent:olivier.marchand", NULL};
static const char *const agents_proprete[] = {"agent:sophie.lefebvre", "agent:julien.moreau",
                                              "agent:mamadou.diallo", NULL};
static const char *const agents_eclairage[] = {"agent:thomas.garnier", "agent:eric.vasseur", NULL};
static const char *const agents_espaces_verts[] = {"agent:claire.fontaine", "agent:lucas.petit",
                                                   NULL};
static const char *const agents_etat_civil[] = {"agent:nadia.haddad", "agent:isabelle.roux", NULL};
static const char *const agents_scolaire[] = {"agent:camille.bernard", "agent:helene.girard", NULL};
static const char *const agents_ccas[] = {"agent:fatima.elamrani", "agent:pierre.lambert", NULL};
static const char *const agents_vie_asso[] = {"agent:antoine.mercier", "agent:lea.dubois", NULL};
static const char *const agents_accueil[] = {"agent:sylvie.leroy", "agent:mehdi.bouzid", NULL};

/* ---- reply templates of the back office ---- */

const demo_reply_template demo_reply_templates[] = {
    {"Accusé de réception",
     "Bonjour,\n\nNous avons bien reçu votre demande {{reference}} ({{procedure}}). Elle a été "
     "transmise au service concerné, qui vous tiendra informé de son avancement.\n\n"
     "Cordialement,\n{{agent}}\nVille de Démo"},
    {"Intervention programmée",
     "Bonjour,\n\nUne intervention est programmée le {{date}} pour votre demande {{reference}} "
     "({{procedure}}). Nos équipes passeront dans la journée ; votre présence n'est pas "
     "nécessaire.\n\nCordialement,\n{{agent}}\nVille de Démo"},
    {"Demande traitée",
     "Bonjour,\n\nVotre demande {{reference}} ({{procedure}}) a été traitée le {{date}}. Si le "
     "problème persiste, il vous suffit de répondre à ce message.\n\nMerci d'avoir pris le "
     "temps de nous le signaler.\n{{agent}}\nVille de Démo"},
    {"Pièce justificative manquante",
     "Bonjour,\n\nPour instruire votre demande {{reference}} ({{procedure}}), il nous manque "
     "une pièce justificative. Pourriez-vous nous la transmettre depuis votre suivi en ligne, ou "
     "la déposer à l'accueil de la mairie, avant le {{date}} ?\n\nCordialement,\n{{agent}}\n"
     "Ville de Démo"},
    {"Rendez-vous en mairie",
     "Bonjour,\n\nPour finaliser votre demande {{reference}} ({{procedure}}), nous vous "
     "proposons un rendez-vous à l'accueil de la mairie le {{date}}. Merci de vous munir d'une "
     "pièce d'identité. Si cette date ne vous convient pas, répondez simplement à ce message."
     "\n\nCordialement,\n{{agent}}\nVille de Démo"},
    {"Signalement déjà connu",
     "Bonjour,\n\nLe problème que vous signalez ({{reference}}, {{procedure}}) nous a déjà été "
     "indiqué et il est en cours de traitement. Nous suivons votre signalement avec le premier ; "
     "vous serez informé de sa résolution.\n\nMerci de votre vigilance,\n{{agent}}\n"
     "Ville de Démo"},
    {"Hors compétence de la commune",
     "Bonjour,\n\nVotre demande {{reference}} concerne un équipement qui ne relève pas de la "
     "commune (route départementale, réseau électrique ou de gaz…). Nous l'avons transmise le "
     "{{date}} au gestionnaire compétent, qui vous répondra directement.\n\nCordialement,\n"
     "{{agent}}\nVille de Démo"},
};
const size_t demo_n_reply_templates = sizeof demo_reply_templates / sizeof demo_reply_templates[0];

const demo_letter_template demo_letter_templates[] = {
    {"Réponse standard", "letter", "Votre demande « {demarche} »",
     "Madame, Monsieur,\n\n"
     "Vous nous avez adressé le {date_depot} une demande « {demarche} », enregistrée sous la "
     "référence {reference}. Le service {service} l’a examinée avec attention.\n\n"
     "[Précisez ici la réponse apportée à la demande.]\n\n"
     "Le service {service} reste à votre disposition pour toute précision ; rappelez la "
     "référence {reference} dans vos échanges.\n\n"
     "Nous vous prions d’agréer, Madame, Monsieur, l’expression de nos salutations distinguées.",
     "", "", "", "Pour le Maire et par délégation,\nle service {service}", "{agent}"},
    {"Arrêté de voirie — permission de stationnement", "decision",
     "Arrêté portant permission de stationnement sur le domaine public",
     "{prenom} {nom} est autorisé(e) à occuper le domaine public au droit du {adresse}, "
     "dans les conditions de sa demande n° {reference} du {date_depot}.\n\n"
     "Le permissionnaire signalera l’occupation de jour comme de nuit et laissera libre un "
     "passage d’au moins 1,40 m pour les piétons. Il remettra les lieux en l’état à la fin de "
     "l’occupation.\n\n"
     "La présente permission est délivrée à titre précaire et révocable ; elle peut être "
     "retirée à tout moment pour un motif d’intérêt général, sans indemnité.\n\n"
     "Le présent arrêté peut faire l’objet d’un recours contentieux devant le tribunal "
     "administratif dans un délai de deux mois à compter de sa notification, y compris par "
     "l’application Télérecours citoyens (www.telerecours.fr).\n\n"
     "Le directeur général des services et la police municipale sont chargés, chacun en ce "
     "qui le concerne, de l’exécution du présent arrêté.",
     "Vu le code général des collectivités territoriales, notamment ses articles L2212-1, "
     "L2212-2 et L2213-1 ;\n"
     "Vu le code général de la propriété des personnes publiques, notamment son article "
     "L2122-1 ;\n"
     "Vu le code de la route ;\n"
     "Vu la demande n° {reference} présentée le {date_depot} par {prenom} {nom} ;",
     "Considérant que l’occupation demandée au droit du {adresse} est compatible avec la "
     "circulation et la sécurité des usagers de la voie publique ;",
     "ARRÊTE :", "Le Maire de {collectivite}", ""},
    {"Décision de refus", "decision", "Décision de refus — demande n° {reference}",
     "La demande « {demarche} » présentée le {date_depot} par {prenom} {nom} sous la "
     "référence {reference} est refusée.\n\n"
     "Voies et délais de recours : la présente décision peut faire l’objet, dans un délai de "
     "deux mois à compter de sa notification, d’un recours gracieux auprès du Maire de "
     "{collectivite} ou d’un recours contentieux devant le tribunal administratif. Le "
     "tribunal administratif peut être saisi par l’application Télérecours citoyens "
     "accessible sur www.telerecours.fr. Un recours gracieux prolonge le délai du recours "
     "contentieux, qui court à nouveau à compter de la réponse de l’administration (le "
     "silence gardé deux mois valant rejet).",
     "Vu le code des relations entre le public et l’administration, notamment ses articles "
     "L211-2 et L211-5 ;\n"
     "Vu la demande n° {reference} présentée le {date_depot} ;",
     "Considérant que [exposez ici les motifs de droit et de fait du refus] ;",
     "DÉCIDE :", "Pour le Maire et par délégation,\nle service {service}", "{agent}"},
};

const size_t demo_n_letter_templates =
    sizeof demo_letter_templates / sizeof demo_letter_templates[0];

const char *const demo_counter_agents[] = {"agent:sylvie.leroy", "agent:mehdi.bouzid",
                                           "agent:nathalie.perrin", NULL};

const demo_department demo_departments[] = {
    {"voirie", "Voirie", "voirie@ville-demo.test", agents_voirie},
    {"proprete", "Propreté", "proprete@ville-demo.test", agents_proprete},
    {"eclairage", "Éclairage public", "eclairage@ville-demo.test", agents_eclairage},
    {"espaces-verts", "Espaces verts", "espaces-verts@ville-demo.test", agents_espaces_verts},
    {"etat-civil", "État civil", "etat-civil@ville-demo.test", agents_etat_civil},
    {"scolaire", "Affaires scolaires", "scolaire@ville-demo.test", agents_scolaire},
    {"ccas", "CCAS", "ccas@ville-demo.test", agents_ccas},
    {"vie-associative", "Vie associative", "associations@ville-demo.test", agents_vie_asso},
    {"accueil", "Accueil et relations usagers", "accueil@ville-demo.test", agents_accueil},
};
const size_t demo_n_departments = sizeof demo_departments / sizeof demo_departments[0];

/* ---- attribute definitions (JSON, core/attrs.h) ---- */

#define DATE_CONSTAT(order)                                                                        \
    "{\"code\":\"date_constat\",\"datatype\":\"datetime\",\"required\":false,"                     \
    "\"variable\":true,\"description\":\"Date de constat\",\"description_en\":\"Date "             \
    "noticed\",\"datatype_description\":\"Date et heure auxquelles vous l'avez remarqué\","       \
    "\"datatype_description_en\":\"Date and time you noticed it\",\"order\":" #order "}"

static const char attrs_nid_de_poule[] =
    "[{\"code\":\"taille\",\"datatype\":\"singlevaluelist\",\"required\":true,"
    "\"variable\":true,\"description\":\"Taille du nid de poule\",\"description_en\":\"Size "
    "of the pothole\",\"datatype_description\":\"Choisissez la taille approximative\","
    "\"datatype_description_en\":\"Choose the approximate size\",\"order\":1,"
    "\"values\":[{\"key\":\"petit\",\"name\":\"Petit (moins de 20 cm)\",\"name_en\":\"Small "
    "(under 20 cm)\"},{\"key\":\"moyen\",\"name\":\"Moyen (20 à 50 cm)\",\"name_en\":\"Medium "
    "(20 to 50 cm)\"},{\"key\":\"grand\",\"name\":\"Grand (plus de 50 cm)\","
    "\"name_en\":\"Large (over 50 cm)\"}]},"
    "{\"code\":\"emplacement\",\"datatype\":\"singlevaluelist\",\"required\":false,"
    "\"variable\":true,\"description\":\"Emplacement\",\"description_en\":\"Location\","
    "\"order\":2,\"values\":[{\"key\":\"chaussee\",\"name\":\"Chaussée\","
    "\"name_en\":\"Roadway\"},{\"key\":\"trottoir\",\"name\":\"Trottoir\","
    "\"name_en\":\"Pavement\"},{\"key\":\"piste-cyclable\",\"name\":\"Piste cyclable\","
    "\"name_en\":\"Cycle lane\"},{\"key\":\"parking\",\"name\":\"Parking\",\"name_en\":\"Car "
    "park\"}]}," DATE_CONSTAT(
        3) ",{\"code\":\"avertissement\",\"datatype\":\"string\",\"required\":false,"
           "\"variable\":false,\"description\":\"En cas de danger immédiat pour la circulation, "
           "appelez la police municipale au 01 23 45 67 00.\",\"description_en\":\"If traffic is "
           "in "
           "immediate danger, call the municipal police on 01 23 45 67 00.\",\"order\":4}]";

static const char attrs_eclairage[] =
    "[{\"code\":\"numero_lampadaire\",\"datatype\":\"string\",\"required\":false,"
    "\"variable\":true,\"description\":\"Numéro du lampadaire\",\"description_en\":\"Street "
    "light number\",\"datatype_description\":\"Inscrit sur une plaque au pied du mât, par "
    "exemple LP-0421\",\"datatype_description_en\":\"Written on a plate at the foot of the "
    "post, for example LP-0421\",\"order\":1},"
    "{\"code\":\"nombre_lampadaires\",\"datatype\":\"number\",\"required\":true,"
    "\"variable\":true,\"description\":\"Nombre de lampadaires concernés\","
    "\"description_en\":\"Number of street lights affected\",\"order\":2},"
    "{\"code\":\"type_panne\",\"datatype\":\"singlevaluelist\",\"required\":true,"
    "\"variable\":true,\"description\":\"Type de panne\",\"description_en\":\"Kind of fault\","
    "\"order\":3,\"values\":[{\"key\":\"eteint\",\"name\":\"Éteint la nuit\","
    "\"name_en\":\"Off at night\"},{\"key\":\"clignote\",\"name\":\"Clignote\","
    "\"name_en\":\"Flickering\"},{\"key\":\"allume-jour\",\"name\":\"Allumé en journée\","
    "\"name_en\":\"On during the day\"},{\"key\":\"endommage\",\"name\":\"Mât ou lanterne "
    "endommagé\",\"name_en\":\"Damaged post or lantern\"}]}," DATE_CONSTAT(4) "]";

static const char attrs_depot[] =
    "[{\"code\":\"types_dechets\",\"datatype\":\"multivaluelist\",\"required\":true,"
    "\"variable\":true,\"description\":\"Types de déchets\",\"description_en\":\"Kinds of "
    "waste\",\"datatype_description\":\"Cochez tout ce que vous voyez\","
    "\"datatype_description_en\":\"Tick everything you see\",\"order\":1,"
    "\"values\":[{\"key\":\"encombrants\",\"name\":\"Encombrants (meubles, matelas…)\","
    "\"name_en\":\"Bulky items (furniture, mattresses…)\"},{\"key\":\"gravats\","
    "\"name\":\"Gravats\",\"name_en\":\"Rubble\"},{\"key\":\"dechets-verts\","
    "\"name\":\"Déchets verts\",\"name_en\":\"Garden waste\"},{\"key\":\"electromenager\","
    "\"name\":\"Électroménager\",\"name_en\":\"Household appliances\"},{\"key\":\"sacs\","
    "\"name\":\"Sacs d'ordures ménagères\",\"name_en\":\"Household rubbish bags\"},"
    "{\"key\":\"pneus\",\"name\":\"Pneus\",\"name_en\":\"Tyres\"},{\"key\":\"cartons\","
    "\"name\":\"Cartons\",\"name_en\":\"Cardboard\"}]},"
    "{\"code\":\"volume\",\"datatype\":\"singlevaluelist\",\"required\":false,"
    "\"variable\":true,\"description\":\"Volume estimé\",\"description_en\":\"Estimated "
    "volume\",\"order\":2,\"values\":[{\"key\":\"sac\",\"name\":\"Quelques sacs\","
    "\"name_en\":\"A few bags\"},{\"key\":\"coffre\",\"name\":\"Un coffre de voiture\","
    "\"name_en\":\"A car boot\"},{\"key\":\"camionnette\",\"name\":\"Une camionnette ou "
    "plus\",\"name_en\":\"A van or more\"}]}," DATE_CONSTAT(3) "]";

static const char attrs_graffiti[] =
    "[{\"code\":\"support\",\"datatype\":\"singlevaluelist\",\"required\":true,"
    "\"variable\":true,\"description\":\"Support\",\"description_en\":\"Surface\",\"order\":1,"
    "\"values\":[{\"key\":\"batiment-public\",\"name\":\"Bâtiment public\","
    "\"name_en\":\"Public building\"},{\"key\":\"facade-privee\",\"name\":\"Façade privée "
    "(visible de la rue)\",\"name_en\":\"Private frontage (visible from the street)\"},"
    "{\"key\":\"mobilier\",\"name\":\"Mobilier urbain\",\"name_en\":\"Street furniture\"},"
    "{\"key\":\"mur\",\"name\":\"Mur ou muret\",\"name_en\":\"Wall or low wall\"},"
    "{\"key\":\"sol\",\"name\":\"Sol\",\"name_en\":\"Ground\"}]},"
    "{\"code\":\"surface_m2\",\"datatype\":\"number\",\"required\":false,\"variable\":true,"
    "\"description\":\"Surface approximative (m²)\",\"description_en\":\"Approximate area "
    "(m²)\",\"order\":2},"
    "{\"code\":\"injurieux\",\"datatype\":\"singlevaluelist\",\"required\":true,"
    "\"variable\":true,\"description\":\"Contenu injurieux ou discriminatoire\","
    "\"description_en\":\"Offensive or discriminatory content\","
    "\"datatype_description\":\"Les inscriptions injurieuses sont effacées en priorité\","
    "\"datatype_description_en\":\"Offensive graffiti is removed first\",\"order\":3,"
    "\"values\":[{\"key\":\"oui\",\"name\":\"Oui\",\"name_en\":\"Yes\"},{\"key\":\"non\","
    "\"name\":\"Non\",\"name_en\":\"No\"}]},"
    "{\"code\":\"info_facade\",\"datatype\":\"string\",\"required\":false,\"variable\":false,"
    "\"description\":\"L'effacement sur une façade privée est gratuit mais demande l'accord "
    "écrit du propriétaire.\",\"description_en\":\"Removal from a private frontage is free "
    "but needs the owner's written consent.\",\"order\":4}]";

static const char attrs_arbre[] =
    "[{\"code\":\"risque\",\"datatype\":\"singlevaluelist\",\"required\":true,"
    "\"variable\":true,\"description\":\"Nature du risque\",\"description_en\":\"Kind of "
    "risk\",\"order\":1,\"values\":[{\"key\":\"branche-cassee\",\"name\":\"Branche cassée ou "
    "pendante\",\"name_en\":\"Broken or hanging branch\"},{\"key\":\"arbre-penche\","
    "\"name\":\"Arbre penché\",\"name_en\":\"Leaning tree\"},{\"key\":\"arbre-tombe\","
    "\"name\":\"Arbre tombé\",\"name_en\":\"Fallen tree\"},{\"key\":\"racines\","
    "\"name\":\"Racines soulevant le trottoir\",\"name_en\":\"Roots lifting the pavement\"}]},"
    "{\"code\":\"circonstances\",\"datatype\":\"text\",\"required\":false,\"variable\":true,"
    "\"description\":\"Circonstances\",\"description_en\":\"Circumstances\","
    "\"datatype_description\":\"Coup de vent, choc, depuis quand…\","
    "\"datatype_description_en\":\"Gust of wind, impact, since when…\",\"order\":2},"
    "{\"code\":\"info_pompiers\",\"datatype\":\"string\",\"required\":false,"
    "\"variable\":false,\"description\":\"Si un arbre bloque la chaussée ou menace une "
    "habitation, appelez les pompiers au 18.\",\"description_en\":\"If a tree blocks the road "
    "or threatens a home, call the fire brigade on 18.\",\"order\":3}]";

static const char attrs_stationnement[] =
    "[{\"code\":\"immatriculation\",\"datatype\":\"string\",\"required\":false,"
    "\"variable\":true,\"description\":\"Immatriculation du véhicule\","
    "\"description_en\":\"Vehicle registration\",\"datatype_description\":\"Par exemple "
    "AB-123-CD\",\"datatype_description_en\":\"For example AB-123-CD\",\"order\":1},"
    "{\"code\":\"type_gene\",\"datatype\":\"singlevaluelist\",\"required\":true,"
    "\"variable\":true,\"description\":\"Type de gêne\",\"description_en\":\"Kind of "
    "obstruction\",\"order\":2,\"values\":[{\"key\":\"trottoir\",\"name\":\"Sur le trottoir\","
    "\"name_en\":\"On the pavement\"},{\"key\":\"passage-pieton\",\"name\":\"Sur un passage "
    "piéton\",\"name_en\":\"On a pedestrian crossing\"},{\"key\":\"sortie-garage\","
    "\"name\":\"Devant une sortie de garage\",\"name_en\":\"Across a driveway\"},"
    "{\"key\":\"place-pmr\",\"name\":\"Sur une place réservée aux personnes handicapées\","
    "\"name_en\":\"In a disabled parking space\"},{\"key\":\"piste-cyclable\",\"name\":\"Sur "
    "une piste cyclable\",\"name_en\":\"In a cycle lane\"},{\"key\":\"arret-bus\","
    "\"name\":\"À un arrêt de bus\",\"name_en\":\"At a bus stop\"}]},"
    "{\"code\":\"depuis\",\"datatype\":\"datetime\",\"required\":false,\"variable\":true,"
    "\"description\":\"Présent depuis\",\"description_en\":\"There since\",\"order\":3}]";

static const char attrs_mobilier[] =
    "[{\"code\":\"type_mobilier\",\"datatype\":\"singlevaluelist\",\"required\":true,"
    "\"variable\":true,\"description\":\"Type de mobilier\",\"description_en\":\"Kind of "
    "furniture\",\"order\":1,\"values\":[{\"key\":\"banc\",\"name\":\"Banc\","
    "\"name_en\":\"Bench\"},{\"key\":\"corbeille\",\"name\":\"Corbeille\","
    "\"name_en\":\"Litter bin\"},{\"key\":\"potelet\",\"name\":\"Potelet ou barrière\","
    "\"name_en\":\"Bollard or barrier\"},{\"key\":\"abribus\",\"name\":\"Abribus\","
    "\"name_en\":\"Bus shelter\"},{\"key\":\"panneau\",\"name\":\"Panneau de signalisation\","
    "\"name_en\":\"Road sign\"},{\"key\":\"jeux\",\"name\":\"Jeux pour enfants\","
    "\"name_en\":\"Children's play equipment\"}]},"
    "{\"code\":\"degats\",\"datatype\":\"text\",\"required\":false,\"variable\":true,"
    "\"description\":\"Description des dégâts\",\"description_en\":\"Description of the "
    "damage\",\"order\":2}]";

static const char attrs_acte[] =
    "[{\"code\":\"type_acte\",\"datatype\":\"singlevaluelist\",\"required\":true,"
    "\"variable\":true,\"description\":\"Type d'acte\",\"description_en\":\"Kind of "
    "certificate\",\"order\":1,\"values\":[{\"key\":\"naissance\",\"name\":\"Acte de "
    "naissance\",\"name_en\":\"Birth certificate\"},{\"key\":\"mariage\",\"name\":\"Acte de "
    "mariage\",\"name_en\":\"Marriage certificate\"},{\"key\":\"deces\",\"name\":\"Acte de "
    "décès\",\"name_en\":\"Death certificate\"}]},"
    "{\"code\":\"format_acte\",\"datatype\":\"singlevaluelist\",\"required\":true,"
    "\"variable\":true,\"description\":\"Document souhaité\",\"description_en\":\"Document "
    "wanted\",\"order\":2,\"values\":[{\"key\":\"copie-integrale\",\"name\":\"Copie "
    "intégrale\",\"name_en\":\"Full copy\"},{\"key\":\"extrait-filiation\",\"name\":\"Extrait "
    "avec filiation\",\"name_en\":\"Extract with parentage\"},"
    "{\"key\":\"extrait-sans-filiation\",\"name\":\"Extrait sans filiation\","
    "\"name_en\":\"Extract without parentage\"},{\"key\":\"plurilingue\",\"name\":\"Extrait "
    "plurilingue\",\"name_en\":\"Multilingual extract\"}]},"
    "{\"code\":\"nom_acte\",\"datatype\":\"string\",\"required\":true,\"variable\":true,"
    "\"description\":\"Nom de la personne concernée par l'acte\",\"description_en\":\"Name of "
    "the person the certificate concerns\",\"order\":3},"
    "{\"code\":\"date_acte\",\"datatype\":\"date\",\"required\":true,\"variable\":true,"
    "\"description\":\"Date de l'acte\",\"description_en\":\"Date of the event\","
    "\"datatype_description\":\"Date de la naissance, du mariage ou du décès\","
    "\"datatype_description_en\":\"Date of the birth, marriage or death\",\"order\":4},"
    "{\"code\":\"nombre_exemplaires\",\"datatype\":\"number\",\"required\":true,"
    "\"variable\":true,\"description\":\"Nombre d'exemplaires\",\"description_en\":\"Number "
    "of copies\",\"order\":5},"
    "{\"code\":\"motif\",\"datatype\":\"singlevaluelist\",\"required\":false,"
    "\"variable\":true,\"description\":\"Motif de la demande\",\"description_en\":\"Reason "
    "for the request\",\"order\":6,\"values\":[{\"key\":\"passeport\",\"name\":\"Passeport ou "
    "carte d'identité\",\"name_en\":\"Passport or identity card\"},{\"key\":\"mariage\","
    "\"name\":\"Dossier de mariage\",\"name_en\":\"Marriage file\"},{\"key\":\"succession\","
    "\"name\":\"Succession\",\"name_en\":\"Estate settlement\"},{\"key\":\"retraite\","
    "\"name\":\"Retraite\",\"name_en\":\"Pension\"},{\"key\":\"autre\",\"name\":\"Autre\","
    "\"name_en\":\"Other\"}]},"
    "{\"code\":\"info_envoi\",\"datatype\":\"string\",\"required\":false,\"variable\":false,"
    "\"description\":\"L'acte est envoyé gratuitement par courrier à l'adresse indiquée.\","
    "\"description_en\":\"The certificate is posted free of charge to the address given.\","
    "\"order\":7}]";

static const char attrs_inscription[] =
    "[{\"code\":\"prenom_enfant\",\"datatype\":\"string\",\"required\":true,\"variable\":true,"
    "\"description\":\"Prénom de l'enfant\",\"description_en\":\"Child's first name\","
    "\"order\":1},"
    "{\"code\":\"date_naissance_enfant\",\"datatype\":\"date\",\"required\":true,"
    "\"variable\":true,\"description\":\"Date de naissance de l'enfant\","
    "\"description_en\":\"Child's date of birth\",\"order\":2},"
    "{\"code\":\"niveau\",\"datatype\":\"singlevaluelist\",\"required\":true,"
    "\"variable\":true,\"description\":\"Niveau à la rentrée\",\"description_en\":\"Class at "
    "the start of the school year\",\"order\":3,\"values\":[{\"key\":\"ps\",\"name\":\"Petite "
    "section\",\"name_en\":\"Nursery, first year\"},{\"key\":\"ms\",\"name\":\"Moyenne "
    "section\",\"name_en\":\"Nursery, second year\"},{\"key\":\"gs\",\"name\":\"Grande "
    "section\",\"name_en\":\"Nursery, final year\"},{\"key\":\"cp\",\"name\":\"CP\","
    "\"name_en\":\"CP (year 1)\"},{\"key\":\"ce1\",\"name\":\"CE1\",\"name_en\":\"CE1 (year "
    "2)\"},{\"key\":\"ce2\",\"name\":\"CE2\",\"name_en\":\"CE2 (year 3)\"},{\"key\":\"cm1\","
    "\"name\":\"CM1\",\"name_en\":\"CM1 (year 4)\"},{\"key\":\"cm2\",\"name\":\"CM2\","
    "\"name_en\":\"CM2 (year 5)\"}]},"
    "{\"code\":\"ecole\",\"datatype\":\"singlevaluelist\",\"required\":true,\"variable\":true,"
    "\"description\":\"École souhaitée\",\"description_en\":\"School wanted\","
    "\"datatype_description\":\"L'affectation dépend de la carte scolaire\","
    "\"datatype_description_en\":\"The school assigned depends on the catchment area\","
    "\"order\":4,\"values\":[{\"key\":\"jules-ferry\",\"name\":\"Groupe scolaire Jules "
    "Ferry\",\"name_en\":\"Jules Ferry school\"},{\"key\":\"les-tilleuls\",\"name\":\"École "
    "Les Tilleuls\",\"name_en\":\"Les Tilleuls school\"},{\"key\":\"jean-moulin\","
    "\"name\":\"École Jean Moulin\",\"name_en\":\"Jean Moulin school\"}]},"
    "{\"code\":\"vie_scolaire\",\"datatype\":\"section\",\"description\":\"La vie à "
    "l'école\",\"description_en\":\"Life at school\",\"datatype_description\":\"Ces "
    "réponses aident l'école à accueillir votre enfant\",\"datatype_description_en\":\"These "
    "answers help the school welcome your child\",\"order\":5},"
    "{\"code\":\"services\",\"datatype\":\"multivaluelist\",\"required\":false,"
    "\"variable\":true,\"description\":\"Services périscolaires\",\"description_en\":\"Before "
    "and after school services\",\"order\":5,\"values\":[{\"key\":\"cantine\","
    "\"name\":\"Restauration scolaire\",\"name_en\":\"School meals\"},"
    "{\"key\":\"garderie-matin\",\"name\":\"Accueil du matin\",\"name_en\":\"Morning "
    "childcare\"},{\"key\":\"garderie-soir\",\"name\":\"Accueil du soir\","
    "\"name_en\":\"Evening childcare\"},{\"key\":\"etude\",\"name\":\"Étude surveillée\","
    "\"name_en\":\"Supervised homework\"},{\"key\":\"centre-loisirs\",\"name\":\"Accueil de "
    "loisirs du mercredi\",\"name_en\":\"Wednesday activity centre\"}]},"
    "{\"code\":\"justificatif_domicile\",\"datatype\":\"file\",\"required\":false,"
    "\"description\":\"Justificatif de domicile\",\"description_en\":\"Proof of address\","
    "\"datatype_description\":\"Une facture de moins de trois mois, en PDF ou en photo\","
    "\"datatype_description_en\":\"A bill less than three months old, as a PDF or a photo\","
    "\"order\":6},"
    "{\"code\":\"observations\",\"datatype\":\"text\",\"required\":false,\"variable\":true,"
    "\"description\":\"Observations (allergies, PAI, fratrie…)\",\"description_en\":\"Remarks "
    "(allergies, care plan, siblings…)\",\"order\":6}]";

static const char attrs_subvention[] =
    "[{\"code\":\"nom_association\",\"datatype\":\"string\",\"required\":true,"
    "\"variable\":true,\"description\":\"Nom de l'association\",\"description_en\":\"Name of "
    "the association\",\"order\":1},"
    "{\"code\":\"numero_rna\",\"datatype\":\"string\",\"required\":true,\"variable\":true,"
    "\"description\":\"Numéro RNA\",\"description_en\":\"RNA number\","
    "\"datatype_description\":\"W suivi de 9 chiffres\",\"datatype_description_en\":\"W "
    "followed by 9 digits\",\"order\":2},"
    "{\"code\":\"siret\",\"datatype\":\"string\",\"format\":\"siret\",\"required\":true,"
    "\"variable\":true,\"description\":\"Numéro SIRET de l'association\",\"description_en\":"
    "\"SIRET number of the association\",\"datatype_description\":\"14 chiffres, sur l'avis "
    "de situation au répertoire Sirene ; nécessaire pour recevoir une subvention\","
    "\"datatype_description_en\":\"14 digits, on the Sirene registration notice; needed to "
    "receive a grant\",\"order\":3},"
    "{\"code\":\"type_subvention\",\"datatype\":\"singlevaluelist\",\"required\":true,"
    "\"variable\":true,\"description\":\"Type de subvention\",\"description_en\":\"Kind of "
    "grant\",\"order\":4,\"values\":[{\"key\":\"fonctionnement\",\"name\":\"Fonctionnement\","
    "\"name_en\":\"Running costs\"},{\"key\":\"projet\",\"name\":\"Projet ou événement\","
    "\"name_en\":\"Project or event\"},{\"key\":\"exceptionnelle\","
    "\"name\":\"Exceptionnelle\",\"name_en\":\"Exceptional\"}]},"
    "{\"code\":\"montant_demande\",\"datatype\":\"number\",\"required\":true,"
    "\"variable\":true,\"description\":\"Montant demandé (€)\",\"description_en\":\"Amount "
    "requested (€)\",\"order\":5},"
    "{\"code\":\"objet\",\"datatype\":\"text\",\"required\":true,\"variable\":true,"
    "\"description\":\"Objet de la demande\",\"description_en\":\"Purpose of the request\","
    "\"order\":6},"
    "{\"code\":\"nombre_adherents\",\"datatype\":\"number\",\"required\":false,"
    "\"variable\":true,\"description\":\"Nombre d'adhérents\",\"description_en\":\"Number of "
    "members\",\"order\":7},"
    "{\"code\":\"lieu_projet\",\"datatype\":\"location\",\"required\":true,"
    "\"variable\":true,\"description\":\"Lieu du projet ou de l'événement\","
    "\"description_en\":\"Place of the project or event\",\"datatype_description\":\"Son "
    "adresse dans la commune, ou le nom du lieu.\",\"datatype_description_en\":\"Its address in "
    "the town, or the name of the place.\",\"show_if\":{\"field\":\"type_subvention\","
    "\"equals\":\"projet\"},\"order\":8}]";

static const char attrs_salle[] =
    "[{\"code\":\"salle\",\"datatype\":\"singlevaluelist\",\"required\":true,"
    "\"variable\":true,\"description\":\"Salle\",\"description_en\":\"Hall\",\"order\":1,"
    "\"values\":[{\"key\":\"salle-des-fetes\",\"name\":\"Salle des fêtes (300 places)\","
    "\"name_en\":\"Village hall (300 seats)\"},{\"key\":\"salle-polyvalente\","
    "\"name\":\"Salle polyvalente (120 places)\",\"name_en\":\"Multi-purpose hall (120 "
    "seats)\"},{\"key\":\"maison-associations\",\"name\":\"Maison des associations, salle de "
    "réunion (30 places)\",\"name_en\":\"Associations' house, meeting room (30 seats)\"},"
    "{\"key\":\"gymnase\",\"name\":\"Gymnase Pierre de Coubertin\",\"name_en\":\"Pierre de "
    "Coubertin gymnasium\"}]},"
    "{\"code\":\"date_reservation\",\"datatype\":\"datetime\",\"required\":true,"
    "\"variable\":true,\"description\":\"Date et heure de début\",\"description_en\":\"Start "
    "date and time\",\"order\":2},"
    "{\"code\":\"nombre_participants\",\"datatype\":\"number\",\"required\":true,"
    "\"variable\":true,\"description\":\"Nombre de participants\",\"description_en\":\"Number "
    "of participants\",\"order\":3},"
    "{\"code\":\"type_evenement\",\"datatype\":\"singlevaluelist\",\"required\":true,"
    "\"variable\":true,\"description\":\"Type d'événement\",\"description_en\":\"Kind of "
    "event\",\"order\":4,\"values\":[{\"key\":\"reunion\",\"name\":\"Réunion\","
    "\"name_en\":\"Meeting\"},{\"key\":\"fete-familiale\",\"name\":\"Fête familiale\","
    "\"name_en\":\"Family celebration\"},{\"key\":\"spectacle\",\"name\":\"Spectacle\","
    "\"name_en\":\"Show\"},{\"key\":\"assemblee-generale\",\"name\":\"Assemblée générale\","
    "\"name_en\":\"General meeting\"},{\"key\":\"sport\",\"name\":\"Activité sportive\","
    "\"name_en\":\"Sports activity\"}]},"
    "{\"code\":\"equipements\",\"datatype\":\"multivaluelist\",\"required\":false,"
    "\"variable\":true,\"description\":\"Équipements souhaités\","
    "\"description_en\":\"Equipment wanted\",\"order\":5,\"values\":[{\"key\":\"tables\","
    "\"name\":\"Tables\",\"name_en\":\"Tables\"},{\"key\":\"chaises\",\"name\":\"Chaises\","
    "\"name_en\":\"Chairs\"},{\"key\":\"sono\",\"name\":\"Sonorisation\",\"name_en\":\"Sound "
    "system\"},{\"key\":\"videoprojecteur\",\"name\":\"Vidéoprojecteur\",\"name_en\":\"Video "
    "projector\"},{\"key\":\"cuisine\",\"name\":\"Cuisine équipée\",\"name_en\":\"Equipped "
    "kitchen\"}]}]";

static const char attrs_question[] =
    "[{\"code\":\"sujet\",\"datatype\":\"singlevaluelist\",\"required\":false,"
    "\"variable\":true,\"description\":\"Sujet\",\"description_en\":\"Subject\",\"order\":1,"
    "\"values\":[{\"key\":\"urbanisme\",\"name\":\"Urbanisme\",\"name_en\":\"Planning\"},"
    "{\"key\":\"dechets\",\"name\":\"Collecte des déchets\",\"name_en\":\"Waste collection\"},"
    "{\"key\":\"stationnement\",\"name\":\"Stationnement\",\"name_en\":\"Parking\"},"
    "{\"key\":\"culture\",\"name\":\"Culture et loisirs\",\"name_en\":\"Culture and "
    "leisure\"},{\"key\":\"enfance\",\"name\":\"Enfance et jeunesse\",\"name_en\":\"Children "
    "and youth\"},{\"key\":\"autre\",\"name\":\"Autre\",\"name_en\":\"Other\"}]},"
    "{\"code\":\"reponse_souhaitee\",\"datatype\":\"singlevaluelist\",\"required\":false,"
    "\"variable\":true,\"description\":\"Réponse souhaitée\",\"description_en\":\"Reply "
    "wanted\",\"order\":2,\"values\":[{\"key\":\"courriel\",\"name\":\"Par courriel\","
    "\"name_en\":\"By e-mail\"},{\"key\":\"telephone\",\"name\":\"Par téléphone\","
    "\"name_en\":\"By phone\"},{\"key\":\"courrier\",\"name\":\"Par courrier\","
    "\"name_en\":\"By post\"}]}]";

static const char attrs_ccas[] =
    "[{\"code\":\"type_aide\",\"datatype\":\"singlevaluelist\",\"required\":true,"
    "\"variable\":true,\"description\":\"Aide demandée\",\"description_en\":\"Help "
    "requested\",\"order\":1,\"values\":[{\"key\":\"alimentaire\",\"name\":\"Aide "
    "alimentaire\",\"name_en\":\"Food aid\"},{\"key\":\"energie\",\"name\":\"Aide au paiement "
    "de l'énergie\",\"name_en\":\"Help paying for energy\"},{\"key\":\"portage-repas\","
    "\"name\":\"Portage de repas à domicile\",\"name_en\":\"Meals delivered at home\"},"
    "{\"key\":\"teleassistance\",\"name\":\"Téléassistance\",\"name_en\":\"Personal alarm\"},"
    "{\"key\":\"rendez-vous\",\"name\":\"Rendez-vous avec un travailleur social\","
    "\"name_en\":\"Appointment with a social worker\"}]},"
    "{\"code\":\"composition_foyer\",\"datatype\":\"number\",\"required\":true,"
    "\"variable\":true,\"description\":\"Nombre de personnes au foyer\","
    "\"description_en\":\"Number of people in the household\",\"order\":2},"
    "{\"code\":\"situation\",\"datatype\":\"text\",\"required\":false,\"variable\":true,"
    "\"description\":\"Votre situation en quelques mots\",\"description_en\":\"Your situation "
    "in a few words\",\"order\":3},"
    "{\"code\":\"info_confidentialite\",\"datatype\":\"string\",\"required\":false,"
    "\"variable\":false,\"description\":\"Vos informations restent confidentielles : seuls "
    "les agents du CCAS les consultent.\",\"description_en\":\"Your information stays "
    "confidential: only the CCAS staff read it.\",\"order\":4}]";

/* ---- description templates, details, notes ---- */

static const demo_text texts_nid[] = {
    {"taille=moyen", "Un nid de poule s'est formé sur la chaussée au niveau du {lieu}."},
    {"taille=grand", "Il y a un trou important dans la route devant le {lieu}, les voitures font "
                     "des écarts pour l'éviter."},
    {"taille=grand,emplacement=chaussee", "La chaussée est complètement défoncée au {lieu}."},
    {"taille=moyen", "Gros trou rempli d'eau à hauteur du {lieu}, on ne le voit pas quand il "
                     "pleut."},
    {"taille=petit", "Depuis les derniers travaux, l'enrobé s'effrite devant le {lieu} et un "
                     "petit trou se creuse de jour en jour."},
    {"taille=petit,emplacement=trottoir", "Le trottoir est abîmé devant le {lieu} : il manque "
                                          "un morceau de bitume."},
    {"emplacement=piste-cyclable", "Nid de poule sur la piste cyclable au {lieu}, dangereux "
                                   "pour les vélos."},
    {NULL, NULL},
};
static const char *const details_nid[] = {
    "J'ai failli tomber à vélo ce matin.",
    "Plusieurs voisins ont déjà abîmé leurs jantes.",
    "C'est juste à côté du passage piéton, les enfants de l'école passent par là.",
    "Le trou fait bien 10 cm de profondeur.",
    "Les bus de la ligne 4 passent à cet endroit.",
    "Ça empire à chaque averse.",
    NULL,
};
static const char *const resolved_nid[] = {
    "Le nid de poule a été rebouché par nos équipes. Merci pour votre signalement !",
    "La chaussée a été réparée. Merci de nous avoir prévenus.",
    "Une réparation provisoire a été faite ; la réfection complète de la chaussée est prévue "
    "au programme de travaux de l'an prochain.",
    NULL,
};
static const char *const rejected_voirie[] = {
    "Cette voie est privée : la commune ne peut pas intervenir. Nous vous invitons à contacter "
    "le syndic ou le propriétaire.",
    "Cette route départementale relève du Département, à qui nous avons transmis votre "
    "signalement.",
    NULL,
};

static const demo_text texts_eclairage[] = {
    {"type_panne=eteint", "Le lampadaire situé devant le {lieu} ne s'allume plus depuis "
                          "plusieurs jours."},
    {"type_panne=eteint", "Toute la rue est dans le noir à partir du {lieu}, plusieurs "
                          "lampadaires sont éteints."},
    {"type_panne=clignote", "Le lampadaire en face du {lieu} clignote toute la nuit."},
    {"type_panne=allume-jour", "L'éclairage public reste allumé en plein jour au {lieu}."},
    {"type_panne=endommage", "La lanterne du lampadaire devant le {lieu} pend dangereusement "
                             "depuis le coup de vent."},
    {NULL, NULL},
};
static const char *const details_eclairage[] = {
    "Le quartier n'est pas rassurant le soir sans éclairage.",
    "Les personnes âgées n'osent plus sortir après 18 h.",
    "C'est sur le chemin de l'arrêt de bus.",
    "Le numéro est illisible sur le poteau.",
    "La panne dure depuis le week-end.",
    NULL,
};
static const char *const resolved_eclairage[] = {
    "L'ampoule a été remplacée, l'éclairage fonctionne de nouveau.",
    "Le câble défectueux a été réparé par notre prestataire. Merci pour votre signalement.",
    "La lanterne endommagée a été remplacée.",
    NULL,
};
static const char *const rejected_eclairage[] = {
    "Ce point lumineux appartient à une résidence privée : nous avons prévenu le gestionnaire.",
    "Nous n'avons constaté aucune panne lors de notre passage de nuit. N'hésitez pas à nous "
    "signaler de nouveau le problème s'il se reproduit.",
    NULL,
};

static const demo_text texts_depot[] = {
    {"types_dechets=encombrants", "Dépôt sauvage d'encombrants sur le trottoir devant le "
                                  "{lieu}."},
    {"types_dechets=encombrants,volume=camionnette",
     "Quelqu'un a abandonné un matelas et un canapé au {lieu}."},
    {"types_dechets=sacs,volume=sac", "Des sacs poubelle s'accumulent au pied des conteneurs "
                                      "près du {lieu}."},
    {"types_dechets=gravats", "Gravats et pots de peinture déposés à côté du {lieu}, sans doute "
                              "après des travaux."},
    {"types_dechets=electromenager+pneus", "Un vieux frigo et des pneus ont été laissés devant "
                                           "le {lieu}."},
    {"types_dechets=dechets-verts,volume=coffre", "Des branchages et de la tonte ont été vidés "
                                                  "sur le talus au {lieu}."},
    {"types_dechets=cartons", "Une pile de cartons détrempés traîne devant le {lieu} depuis "
                              "le déménagement d'un voisin."},
    {NULL, NULL},
};
static const char *const details_depot[] = {
    "Cela attire les rats.",
    "Ça bloque le passage des poussettes.",
    "Ce n'est pas la première fois à cet endroit.",
    "Une camionnette blanche a été vue hier soir.",
    "Ça sent très mauvais avec la chaleur.",
    NULL,
};
static const char *const resolved_depot[] = {
    "Le dépôt a été enlevé par nos équipes. Merci pour votre vigilance.",
    "Les déchets ont été ramassés ce matin. Une enquête est en cours pour identifier "
    "l'auteur du dépôt.",
    NULL,
};
static const char *const rejected_depot[] = {
    "Il s'agit de déchets déposés sur un terrain privé : le propriétaire a été mis en demeure "
    "de les enlever.",
    NULL,
};

static const demo_text texts_graffiti[] = {
    {"support=facade-privee", "Un grand tag a été fait cette nuit sur la façade du {lieu}."},
    {"support=batiment-public", "Graffitis sur le mur de l'école, au {lieu}."},
    {"support=mobilier", "Des tags recouvrent l'abribus situé devant le {lieu}."},
    {"support=mobilier,injurieux=oui", "Inscriptions injurieuses à la bombe sur le panneau "
                                       "d'information au {lieu}."},
    {"support=mur", "Le muret le long du {lieu} est couvert de graffitis."},
    {NULL, NULL},
};
static const char *const details_graffiti[] = {
    "C'est très visible depuis la rue.",
    "Le propriétaire est d'accord pour l'effacement.",
    "C'est la troisième fois cette année.",
    "Des enfants passent devant tous les jours.",
    NULL,
};
static const char *const resolved_graffiti[] = {
    "Le graffiti a été effacé par notre équipe anti-tags.",
    "L'effacement a été réalisé. Merci pour votre signalement !",
    NULL,
};
static const char *const rejected_graffiti[] = {
    "Nous n'avons pas reçu l'accord écrit du propriétaire de la façade : nous ne pouvons pas "
    "intervenir sans lui. Le formulaire d'autorisation est disponible à l'accueil.",
    NULL,
};

static const demo_text texts_arbre[] = {
    {"risque=branche-cassee", "Une grosse branche menace de tomber sur le trottoir devant le "
                              "{lieu}."},
    {"risque=arbre-penche", "Après l'orage, un arbre penche dangereusement au-dessus de la "
                            "chaussée au {lieu}."},
    {"risque=branche-cassee", "Un platane a perdu une branche qui bloque en partie le trottoir "
                              "au {lieu}."},
    {"risque=racines", "Les racines d'un arbre soulèvent le trottoir devant le {lieu}, on "
                       "risque de trébucher."},
    {"risque=arbre-tombe", "Un arbre est tombé en travers du chemin piéton au {lieu}."},
    {NULL, NULL},
};
static const char *const details_arbre[] = {
    "Des enfants jouent juste en dessous.",
    "J'ai mis des cailloux autour en attendant.",
    "Les voitures se garent dessous.",
    "Le tronc semble creux à la base.",
    NULL,
};
static const char *const resolved_arbre[] = {
    "L'arbre a été sécurisé et les branches dangereuses élaguées.",
    "L'arbre, malade, a été abattu ; il sera remplacé lors de la prochaine campagne de "
    "plantation.",
    "La zone a été dégagée et sécurisée par le service des espaces verts.",
    NULL,
};
static const char *const rejected_arbre[] = {
    "L'arbre se trouve dans une propriété privée : l'entretien incombe à son propriétaire, "
    "que nous avons informé.",
    NULL,
};

static const demo_text texts_stationnement[] = {
    {"type_gene=trottoir", "Une voiture est garée sur le trottoir devant le {lieu} depuis ce "
                           "matin."},
    {"type_gene=sortie-garage", "Véhicule stationné devant ma sortie de garage au {lieu}, je "
                                "ne peux pas sortir."},
    {"type_gene=passage-pieton", "Camionnette garée sur le passage piéton au {lieu}."},
    {"type_gene=place-pmr", "Voiture ventouse sur la place réservée aux personnes handicapées "
                            "au {lieu}."},
    {"type_gene=arret-bus", "Une voiture occupe l'arrêt de bus devant le {lieu}, le bus s'arrête "
                            "au milieu de la rue."},
    {NULL, NULL},
};
static const char *const details_stationnement[] = {
    "Impossible de passer avec un fauteuil roulant.",
    "Je dois partir au travail.",
    "C'est tous les jours la même chose.",
    "Le véhicule n'a pas bougé depuis une semaine.",
    NULL,
};
static const char *const resolved_stationnement[] = {
    "La police municipale est passée et a verbalisé le véhicule.",
    "Le véhicule a été enlevé par la fourrière.",
    "À l'arrivée de la police municipale, le véhicule était parti.",
    NULL,
};
static const char *const rejected_stationnement[] = {
    "Ce stationnement se trouve sur une voie privée : la police municipale ne peut pas "
    "intervenir.",
    NULL,
};

static const demo_text texts_mobilier[] = {
    {"type_mobilier=banc", "Le banc devant le {lieu} est cassé, une planche manque."},
    {"type_mobilier=corbeille", "La corbeille au {lieu} a été arrachée."},
    {"type_mobilier=potelet", "Un potelet est couché sur le trottoir au {lieu}."},
    {"type_mobilier=abribus", "La vitre de l'abribus devant le {lieu} est brisée, il y a du "
                              "verre partout."},
    {"type_mobilier=panneau", "Le panneau stop au {lieu} est tordu et n'est plus visible."},
    {"type_mobilier=jeux", "Le toboggan de l'aire de jeux près du {lieu} a une marche cassée."},
    {NULL, NULL},
};
static const char *const details_mobilier[] = {
    "Il y a des morceaux coupants.",
    "Les enfants s'y assoient à la sortie de l'école.",
    "Probablement un choc de voiture.",
    NULL,
};
static const char *const resolved_mobilier[] = {
    "Le mobilier a été réparé par le service voirie.",
    "L'équipement endommagé a été remplacé.",
    NULL,
};

static const demo_text texts_acte[] = {
    {"type_acte=naissance,motif=passeport,format_acte=copie-integrale",
     "Je souhaite obtenir une copie intégrale de mon acte de naissance pour refaire mon "
     "passeport."},
    {"type_acte=mariage,motif=retraite,format_acte=extrait-filiation",
     "Merci de m'adresser un extrait d'acte de mariage avec filiation pour mon dossier de "
     "retraite."},
    {"type_acte=deces,motif=succession,format_acte=copie-integrale",
     "Je vous demande une copie de l'acte de décès de mon père pour le notaire chargé de la "
     "succession."},
    {"type_acte=naissance,format_acte=copie-integrale",
     "Pourriez-vous m'envoyer {v:nombre_exemplaires} copie(s) intégrale(s) de l'acte de "
     "naissance de {v:nom_acte} ?"},
    {"type_acte=naissance,format_acte=plurilingue,motif=autre",
     "Demande d'extrait plurilingue d'acte de naissance pour des démarches à l'étranger."},
    {"type_acte=naissance,motif=mariage,format_acte=copie-integrale",
     "Nous nous marions cet été dans une autre commune : il me faut une copie intégrale de mon "
     "acte de naissance de moins de trois mois."},
    {NULL, NULL},
};
static const char *const details_acte[] = {
    "Je vous remercie de l'envoyer à mon adresse actuelle.",
    "C'est assez urgent, mon rendez-vous en préfecture est dans quinze jours.",
    "Je joins une copie de ma pièce d'identité.",
    "Merci par avance.",
    NULL,
};
static const char *const resolved_acte[] = {
    "Votre acte a été envoyé par courrier ce jour.",
    "Votre acte est prêt : vous pouvez le retirer à l'accueil de la mairie aux heures "
    "d'ouverture.",
    NULL,
};
static const char *const rejected_acte[] = {
    "Cet acte n'a pas été dressé dans notre commune : nous vous invitons à vous adresser à la "
    "mairie du lieu de l'événement.",
    "Seuls la personne concernée, ses ascendants, descendants, conjoint ou un notaire peuvent "
    "obtenir une copie intégrale. Un extrait sans filiation peut vous être délivré.",
    NULL,
};

static const demo_text texts_inscription[] = {
    {"niveau=ps", "Nous souhaitons inscrire notre fille {v:prenom_enfant} en petite section "
                  "pour la rentrée prochaine."},
    {"niveau=cp", "Inscription de {v:prenom_enfant} en CP : nous venons d'emménager dans la "
                  "commune."},
    {NULL, "Demande d'inscription scolaire pour {v:prenom_enfant} ({v:niveau}), à l'école "
           "souhaitée : {v:ecole}."},
    {"services=cantine+garderie-soir", "Je voudrais inscrire {v:prenom_enfant} à l'école ainsi "
                                       "qu'à la cantine et à la garderie du soir."},
    {NULL, NULL},
};
static const char *const details_inscription[] = {
    "Vous trouverez le justificatif de domicile et le livret de famille en pièces jointes.",
    "Son grand frère est déjà scolarisé dans cette école.",
    "Nous travaillons tous les deux, la garderie nous serait très utile.",
    NULL,
};
static const char *const resolved_inscription[] = {
    "L'inscription est validée. Le certificat d'inscription vous a été envoyé : présentez-le "
    "au directeur de l'école pour l'admission.",
    NULL,
};
static const char *const rejected_inscription[] = {
    "Votre adresse dépend d'une autre école selon la carte scolaire. Une demande de "
    "dérogation est possible auprès du service des affaires scolaires.",
    NULL,
};

static const demo_text texts_subvention[] = {
    {"type_subvention=fonctionnement", "Demande de subvention de fonctionnement pour "
                                       "l'association {v:nom_association} au titre de l'année "
                                       "prochaine."},
    {"type_subvention=projet", "{v:nom_association} sollicite une subvention de "
                               "{v:montant_demande} € pour son projet."},
    {"type_subvention=exceptionnelle", "Suite au dégât des eaux dans notre local, "
                                       "{v:nom_association} demande une aide exceptionnelle."},
    {NULL, NULL},
};
static const char *const details_subvention[] = {
    "Le budget prévisionnel et le dernier bilan sont joints.",
    "Nos activités accueillent une centaine d'enfants de la commune.",
    "Le bureau se tient à votre disposition pour une rencontre.",
    NULL,
};
static const char *const resolved_subvention[] = {
    "Le conseil municipal a accordé une subvention à votre association. Le versement "
    "interviendra dans les prochaines semaines.",
    NULL,
};
static const char *const rejected_subvention[] = {
    "Votre demande n'a pas pu être retenue cette année, l'enveloppe étant épuisée. Nous vous "
    "invitons à la renouveler l'an prochain.",
    NULL,
};

static const demo_text texts_salle[] = {
    {"salle=salle-des-fetes,type_evenement=fete-familiale",
     "Bonjour, je souhaiterais réserver la salle des fêtes pour l'anniversaire de ma mère "
     "({v:nombre_participants} personnes)."},
    {"salle=maison-associations,type_evenement=assemblee-generale",
     "Notre association tiendra son assemblée générale à la maison des associations ; "
     "pouvons-nous réserver la salle de réunion ?"},
    {"salle=gymnase,type_evenement=sport", "Demande de créneau au gymnase pour un tournoi de "
                                           "badminton."},
    {"salle=salle-polyvalente,type_evenement=spectacle", "Réservation de la salle polyvalente "
                                                         "pour le spectacle de fin d'année de "
                                                         "l'école de danse."},
    {"type_evenement=reunion", "Réservation d'une salle pour une réunion de quartier."},
    {NULL, NULL},
};
static const char *const details_salle[] = {
    "Nous nous engageons à rendre la salle propre.",
    "L'attestation d'assurance est jointe.",
    "Une date de repli est possible la semaine suivante.",
    NULL,
};
static const char *const resolved_salle[] = {
    "Votre réservation est confirmée. Les clés sont à retirer à l'accueil la veille ; une "
    "caution vous sera demandée.",
    NULL,
};
static const char *const rejected_salle[] = {
    "La salle est déjà réservée à cette date. Nous pouvons vous proposer une autre date ou une "
    "autre salle : n'hésitez pas à nous recontacter.",
    NULL,
};

static const demo_text texts_question[] = {
    {"sujet=dechets", "Quels sont les jours de collecte des encombrants dans mon quartier ?"},
    {"sujet=urbanisme", "Faut-il une autorisation pour installer un abri de jardin de 12 m² ?"},
    {"sujet=stationnement", "Comment obtenir une carte de stationnement résident ?"},
    {"sujet=culture", "La médiathèque sera-t-elle ouverte pendant les vacances d'été ?"},
    {"sujet=enfance", "À partir de quel âge les enfants peuvent-ils aller au centre de loisirs "
                      "le mercredi ?"},
    {"sujet=autre", "Je souhaiterais savoir comment m'inscrire sur les listes électorales."},
    {NULL, "Bonjour, à qui dois-je m'adresser pour faire élaguer un arbre du voisin qui "
           "dépasse sur mon terrain ?"},
    {NULL, NULL},
};
static const char *const details_question[] = {
    "Merci pour votre réponse.",
    "Je n'ai pas trouvé l'information sur le site de la mairie.",
    "Je suis disponible en fin de journée si vous préférez m'appeler.",
    NULL,
};
static const char *const resolved_question[] = {
    "Nous vous avons répondu par courriel. N'hésitez pas à revenir vers nous si besoin.",
    "La réponse à votre question vous a été communiquée par téléphone.",
    NULL,
};

static const demo_text texts_ccas[] = {
    {"type_aide=portage-repas", "Ma mère, 87 ans, ne peut plus faire ses courses : nous "
                                "souhaiterions mettre en place le portage de repas."},
    {"type_aide=energie", "Je n'arrive pas à payer ma facture d'électricité de cet hiver et "
                          "je voudrais savoir si une aide est possible."},
    {"type_aide=alimentaire", "Demande d'aide alimentaire pour un foyer de "
                              "{v:composition_foyer} personne(s)."},
    {"type_aide=teleassistance", "Je vis seul depuis le décès de mon épouse et je souhaite un "
                                 "dispositif de téléassistance."},
    {"type_aide=rendez-vous", "Je souhaite rencontrer une assistante sociale."},
    {NULL, NULL},
};
static const char *const details_ccas[] = {
    "Je suis disponible tous les matins.",
    "Je préfère être rappelé(e) plutôt que recevoir un courrier.",
    "Ma fille pourra m'accompagner au rendez-vous.",
    NULL,
};
static const char *const resolved_ccas[] = {
    "Votre dossier a été étudié en commission : une aide vous est accordée. Le CCAS vous "
    "contacte pour les modalités.",
    "Le service est mis en place à compter de lundi prochain.",
    NULL,
};
static const char *const rejected_ccas[] = {
    "Vos ressources dépassent le plafond de cette aide. Une assistante sociale reste à votre "
    "disposition pour étudier d'autres solutions.",
    NULL,
};

#define INCIDENT_GROUP "Signaler un problème"

/* Stationnement gênant is never public nor anonymous (a report about someone's car); the
 * lighting and street furniture reports show no one and go public at once. */
const demo_procedure demo_procedures[] = {
    {"nid-de-poule", "Nid de poule", INCIDENT_GROUP,
     "Signalez un trou ou une dégradation de la chaussée, d'un trottoir ou d'une piste "
     "cyclable.",
     "trou,chaussée,route,trottoir,voirie,bitume", attrs_nid_de_poule,
     "Merci pour votre signalement. Le service voirie va vérifier sur place et programmer la "
     "réparation ; vous serez informé(e) de son avancement.",
     "voirie", PROCEDURE_INCIDENT, 1, 1, 10, 14, texts_nid, details_nid, resolved_nid,
     rejected_voirie, 0, DEMO_ANONYMOUS},
    {"eclairage-panne", "Éclairage public en panne", INCIDENT_GROUP,
     "Signalez un lampadaire éteint, qui clignote, allumé en journée ou endommagé.",
     "lampadaire,lumière,éclairage,panne,nuit", attrs_eclairage,
     "Merci. Notre prestataire d'éclairage public interviendra en général sous une semaine ; "
     "une panne sur tout un secteur est traitée en priorité.",
     "eclairage", PROCEDURE_INCIDENT, 1, 1, 7, 10, texts_eclairage, details_eclairage,
     resolved_eclairage, rejected_eclairage, 0, DEMO_AUTO_PUBLIC | DEMO_ANONYMOUS},
    {"depot-sauvage", "Dépôt sauvage", INCIDENT_GROUP,
     "Signalez des déchets abandonnés sur la voie publique : encombrants, gravats, sacs.",
     "déchets,encombrants,ordures,propreté,saleté", attrs_depot,
     "Merci pour votre vigilance. Le service propreté viendra enlever le dépôt dans les "
     "meilleurs délais et recherchera son auteur.",
     "proprete", PROCEDURE_INCIDENT, 1, 1, 5, 16, texts_depot, details_depot, resolved_depot,
     rejected_depot, 0, DEMO_ANONYMOUS},
    {"graffiti", "Tag ou graffiti", INCIDENT_GROUP,
     "Signalez un tag ou un graffiti sur un bâtiment, un mur ou du mobilier urbain.",
     "tag,graffiti,peinture,inscription", attrs_graffiti,
     "Merci. Les inscriptions injurieuses sont effacées sous 48 heures ; les autres dans un "
     "délai de deux semaines.",
     "proprete", PROCEDURE_INCIDENT, 1, 1, 15, 7, texts_graffiti, details_graffiti,
     resolved_graffiti, rejected_graffiti, 0, DEMO_ANONYMOUS},
    {"arbre-dangereux", "Arbre dangereux", INCIDENT_GROUP,
     "Signalez une branche cassée, un arbre penché ou tombé, des racines qui soulèvent le "
     "sol.",
     "arbre,branche,élagage,tempête,racines", attrs_arbre,
     "Merci. Le service des espaces verts évalue le danger au plus vite et sécurise la zone si "
     "nécessaire.",
     "espaces-verts", PROCEDURE_INCIDENT, 1, 1, 3, 4, texts_arbre, details_arbre, resolved_arbre,
     rejected_arbre, 1, DEMO_ANONYMOUS},
    {"stationnement-genant", "Stationnement gênant", INCIDENT_GROUP,
     "Signalez un véhicule mal garé : trottoir, passage piéton, sortie de garage, place "
     "réservée.",
     "voiture,parking,stationnement,véhicule,police", attrs_stationnement,
     "Merci. Votre signalement est transmis à la police municipale, qui interviendra selon ses "
     "disponibilités. Il n'est pas publié.",
     "voirie", PROCEDURE_INCIDENT, 0, 1, 2, 8, texts_stationnement, details_stationnement,
     resolved_stationnement, rejected_stationnement, 0, 0},
    {"mobilier-urbain", "Mobilier urbain dégradé", INCIDENT_GROUP,
     "Signalez un banc, une corbeille, un abribus, un panneau ou un jeu pour enfants abîmé.",
     "banc,poubelle,abribus,panneau,jeux,potelet", attrs_mobilier,
     "Merci. Le service voirie viendra constater les dégâts et réparer ou remplacer "
     "l'équipement.",
     "voirie", PROCEDURE_INCIDENT, 1, 1, 15, 5, texts_mobilier, details_mobilier, resolved_mobilier,
     rejected_voirie, 0, DEMO_AUTO_PUBLIC | DEMO_ANONYMOUS},
    {"acte-etat-civil", "Demande d'acte d'état civil", "État civil",
     "Obtenez une copie ou un extrait d'acte de naissance, de mariage ou de décès dressé dans "
     "la commune.",
     "acte,naissance,mariage,décès,copie,extrait", attrs_acte,
     "Votre demande est enregistrée. L'acte vous sera envoyé par courrier sous dix jours "
     "environ ; aucun paiement n'est demandé.",
     "etat-civil", PROCEDURE_DEMARCHE, 0, 0, 10, 12, texts_acte, details_acte, resolved_acte,
     rejected_acte, 0, 0},
    {"inscription-scolaire", "Inscription scolaire", "École et enfance",
     "Inscrivez votre enfant à l'école maternelle ou élémentaire et aux services "
     "périscolaires.",
     "école,inscription,rentrée,cantine,garderie", attrs_inscription,
     "Votre demande d'inscription est enregistrée. Le service des affaires scolaires vous "
     "enverra le certificat d'inscription après vérification des pièces.",
     "scolaire", PROCEDURE_DEMARCHE, 0, 0, 21, 5, texts_inscription, details_inscription,
     resolved_inscription, rejected_inscription, 0, 0},
    {"subvention-association", "Demande de subvention d'association", "Associations",
     "Sollicitez une subvention de fonctionnement, de projet ou exceptionnelle pour votre "
     "association.",
     "association,subvention,aide,financement", attrs_subvention,
     "Votre dossier est enregistré. Il sera étudié par la commission vie associative puis "
     "soumis au conseil municipal ; vous serez informé(e) de la décision.",
     "vie-associative", PROCEDURE_DEMARCHE, 0, 0, 60, 3, texts_subvention, details_subvention,
     resolved_subvention, rejected_subvention, 0, 0},
    {"reservation-salle", "Réservation d'une salle municipale", "Vie quotidienne",
     "Réservez la salle des fêtes, la salle polyvalente, une salle de réunion ou un créneau au "
     "gymnase.",
     "salle,réservation,location,fête,gymnase", attrs_salle,
     "Votre demande de réservation est enregistrée. Elle sera confirmée après vérification des "
     "disponibilités et réception de l'attestation d'assurance.",
     "vie-associative", PROCEDURE_DEMARCHE, 0, 0, 10, 6, texts_salle, details_salle, resolved_salle,
     rejected_salle, 0, 0},
    {"question-generale", "Question générale", "Vie quotidienne",
     "Posez une question aux services de la mairie.", "question,information,renseignement",
     attrs_question,
     "Votre question est transmise au service concerné. Nous vous répondrons dans les "
     "meilleurs délais.",
     "accueil", PROCEDURE_DEMARCHE, 0, 0, 15, 8, texts_question, details_question,
     resolved_question, NULL, 0, DEMO_ANONYMOUS},
    {"aide-ccas", "Demande d'aide sociale (CCAS)", "Solidarité",
     "Demandez une aide du centre communal d'action sociale : aide alimentaire, énergie, "
     "portage de repas, téléassistance, rendez-vous.",
     "aide,social,CCAS,repas,énergie,solidarité", attrs_ccas,
     "Votre demande est transmise au CCAS, qui vous contactera sous quinze jours. Vos "
     "informations restent confidentielles.",
     "ccas", PROCEDURE_DEMARCHE, 0, 0, 15, 3, texts_ccas, details_ccas, resolved_ccas,
     rejected_ccas, 0, 0},
};
const size_t demo_n_procedures = sizeof demo_procedures / sizeof demo_procedures[0];

/* What the demo procedures show beyond their French: their English name and their icon (a
 * name of vendor/icons.txt). */
static const struct {
    const char *code, *name_en, *icon;
} demo_extras[] = {
    {"nid-de-poule", "Pothole", "traffic-cone"},
    {"eclairage-panne", "Street light out", "lamp-wall-up"},
    {"depot-sauvage", "Fly-tipping", "trash-2"},
    {"graffiti", "Tag or graffiti", "spray-can"},
    {"arbre-dangereux", "Dangerous tree", "tree-deciduous"},
    {"stationnement-genant", "Obstructive parking", "car"},
    {"mobilier-urbain", "Damaged street furniture", "park"},
    {"acte-etat-civil", "Birth, marriage or death certificate", "scroll-text"},
    {"inscription-scolaire", "School enrolment", "school"},
    {"subvention-association", "Grant for an association", "users"},
    {"reservation-salle", "Booking a municipal hall", "calendar-days"},
    {"question-generale", "General question", "circle-help"},
    {"aide-ccas", "Social assistance (CCAS)", "hand-heart"},
};

static size_t demo_extra(const char *code)
{
    size_t i = 0;
    while (i < sizeof demo_extras / sizeof demo_extras[0] && strcmp(demo_extras[i].code, code) != 0)
        i++;
    return i;
}

const char *demo_procedure_name_en(const char *code)
{
    size_t i = demo_extra(code);
    return i < sizeof demo_extras / sizeof demo_extras[0] ? demo_extras[i].name_en : NULL;
}

const char *demo_procedure_icon(const char *code)
{
    size_t i = demo_extra(code);
    return i < sizeof demo_extras / sizeof demo_extras[0] ? demo_extras[i].icon : NULL;
}

/* ---- streets: a point on each, inside the area (offsets from the centre stay under
 * 0.017 degrees so that the jitter added per request keeps every point inside) ---- */

const demo_street demo_streets[] = {
    {"rue Victor Hugo", 45.7652, 4.8361, 86},
    {"avenue Jean Jaurès", 45.7598, 4.8402, 142},
    {"place de la République", 45.7641, 4.8356, 24},
    {"rue de la Paix", 45.7683, 4.8322, 40},
    {"boulevard Gambetta", 45.7571, 4.8297, 118},
    {"rue Pasteur", 45.7705, 4.8389, 62},
    {"rue Jules Ferry", 45.7619, 4.8441, 55},
    {"allée des Tilleuls", 45.7718, 4.8265, 30},
    {"chemin des Vignes", 45.7774, 4.8470, 75},
    {"rue du Moulin", 45.7512, 4.8331, 48},
    {"impasse des Lilas", 45.7546, 4.8478, 12},
    {"rue de la Gare", 45.7593, 4.8218, 97},
    {"avenue du Général de Gaulle", 45.7667, 4.8455, 160},
    {"rue Émile Zola", 45.7631, 4.8280, 71},
    {"rue des Écoles", 45.7660, 4.8398, 33},
    {"place du Marché", 45.7625, 4.8370, 18},
    {"rue Anatole France", 45.7741, 4.8347, 66},
    {"rue Jean Moulin", 45.7528, 4.8402, 58},
    {"rue de l'Église", 45.7646, 4.8338, 27},
    {"avenue de la Libération", 45.7699, 4.8220, 134},
    {"rue Marie Curie", 45.7580, 4.8505, 44},
    {"rue Simone Veil", 45.7760, 4.8290, 38},
    {"rue des Acacias", 45.7490, 4.8260, 29},
    {"rue du 8 Mai 1945", 45.7612, 4.8190, 52},
    {"rue Lamartine", 45.7687, 4.8425, 47},
    {"quai des Tanneurs", 45.7558, 4.8360, 90},
    {"rue Voltaire", 45.7723, 4.8403, 81},
    {"chemin de la Croix Blanche", 45.7795, 4.8380, 64},
    {"rue Condorcet", 45.7505, 4.8445, 36},
    {"square Camille Claudel", 45.7676, 4.8288, 10},
};
const size_t demo_n_streets = sizeof demo_streets / sizeof demo_streets[0];

/* ---- people (fictional) ---- */

const demo_name demo_first_names[] = {
    {"Amélie", "amelie", 1},     {"Jean", "jean", 0},       {"Nathalie", "nathalie", 1},
    {"Mohamed", "mohamed", 0},   {"Chloé", "chloe", 1},     {"François", "francois", 0},
    {"Inès", "ines", 1},         {"Hugo", "hugo", 0},       {"Océane", "oceane", 1},
    {"Rémi", "remi", 0},         {"Fatou", "fatou", 1},     {"Sébastien", "sebastien", 0},
    {"Marie", "marie", 1},       {"Lucas", "lucas", 0},     {"Zoé", "zoe", 1},
    {"Jérôme", "jerome", 0},     {"Hélène", "helene", 1},   {"Nicolas", "nicolas", 0},
    {"Yasmina", "yasmina", 1},   {"Gaël", "gael", 0},       {"Céline", "celine", 1},
    {"Stéphane", "stephane", 0}, {"Léa", "lea", 1},         {"Thierry", "thierry", 0},
    {"Maëlys", "maelys", 1},     {"Benoît", "benoit", 0},   {"Agnès", "agnes", 1},
    {"Kévin", "kevin", 0},       {"Josiane", "josiane", 1}, {"Raphaël", "raphael", 0},
};
const size_t demo_n_first_names = sizeof demo_first_names / sizeof demo_first_names[0];

const demo_name demo_last_names[] = {
    {"Martin", "martin", 0},       {"Bernard", "bernard", 0},     {"Dubois", "dubois", 0},
    {"Lefèvre", "lefevre", 0},     {"Moreau", "moreau", 0},       {"Laurent", "laurent", 0},
    {"Garnier", "garnier", 0},     {"Rousseau", "rousseau", 0},   {"Benali", "benali", 0},
    {"Nguyen", "nguyen", 0},       {"Da Silva", "dasilva", 0},    {"Mercier", "mercier", 0},
    {"Faure", "faure", 0},         {"Chevalier", "chevalier", 0}, {"Boyer", "boyer", 0},
    {"Gautier", "gautier", 0},     {"Perrin", "perrin", 0},       {"Diallo", "diallo", 0},
    {"Lemaître", "lemaitre", 0},   {"Fournier", "fournier", 0},   {"Héraud", "heraud", 0},
    {"Brunet", "brunet", 0},       {"Kowalski", "kowalski", 0},   {"Roux", "roux", 0},
    {"Blanchard", "blanchard", 0}, {"Caron", "caron", 0},         {"Ferreira", "ferreira", 0},
    {"Aubert", "aubert", 0},       {"Müller", "muller", 0},       {"Besançon", "besancon", 0},
};
const size_t demo_n_last_names = sizeof demo_last_names / sizeof demo_last_names[0];

/* ---- shared fragments ---- */

const char *const demo_ack_incident[] = {
    "Votre signalement a bien été pris en compte et transmis au service concerné.",
    "Merci, votre signalement est enregistré. Une équipe va se rendre sur place.",
    "Nous avons bien reçu votre signalement et le traitons dans les meilleurs délais.",
    NULL,
};
const char *const demo_ack_demarche[] = {
    "Votre demande a bien été reçue. Le service concerné l'examine et reviendra vers vous "
    "rapidement.",
    "Nous accusons réception de votre demande, qui est en cours d'enregistrement.",
    NULL,
};
const char *const demo_progress_incident[] = {
    "Une équipe interviendra cette semaine.",
    "L'intervention est programmée dans les prochains jours.",
    "Nos agents se sont rendus sur place ; les travaux sont planifiés.",
    "Le matériel nécessaire a été commandé, l'intervention suivra à sa livraison.",
    NULL,
};
const char *const demo_progress_demarche[] = {
    "Votre dossier est en cours d'instruction.",
    "Il nous manque un justificatif : merci de nous le transmettre en répondant à ce "
    "message.",
    "Votre demande est en cours de traitement par le service.",
    NULL,
};
const char *const demo_duplicate_notes[] = {
    "Ce signalement a déjà été enregistré par un autre habitant et il est suivi sous une "
    "autre référence. Merci !",
    "Cette demande fait doublon avec une demande déjà en cours de traitement.",
    NULL,
};
const char *const demo_internal_incident[] = {
    "Vu avec le chef d'équipe : intervention prévue jeudi matin.",
    "Rappeler l'usager si besoin de précisions sur l'emplacement.",
    "Photo transmise au prestataire.",
    "Vérifié sur place, signalement confirmé.",
    "Bon de travaux émis, en attente de planification.",
    "Secteur déjà signalé la semaine dernière, à regrouper avec la tournée.",
    "Usager rappelé, il confirme que le problème persiste.",
    NULL,
};
const char *const demo_internal_demarche[] = {
    "Dossier complet, à valider par la responsable du service.",
    "Pièce justificative reçue par courriel, ajoutée au dossier.",
    "Usager rappelé pour compléter sa demande.",
    "Vérifié dans le registre, pas d'anomalie.",
    "En attente de l'avis de l'élu délégué.",
    NULL,
};
const char *const demo_followups[] = {
    "Bonjour, avez-vous des nouvelles de ma demande ?",
    "Le problème est toujours là, merci de faire le nécessaire.",
    "Merci pour votre retour rapide.",
    NULL,
};
static const char *const rating_1[] = {
    "Trois semaines sans nouvelles, puis une clôture sans explication.",
    "Le problème n'est toujours pas réglé malgré la réponse.",
    NULL,
};
static const char *const rating_2[] = {
    "Réponse correcte mais beaucoup trop tardive.",
    "On m'a renvoyé vers un autre service sans m'expliquer pourquoi.",
    NULL,
};
static const char *const rating_3[] = {
    "C'est réglé, mais il a fallu relancer deux fois.",
    "Travail fait, même si le délai annoncé n'a pas été tenu.",
    NULL,
};
static const char *const rating_4[] = {
    "Intervention efficace, merci aux équipes.",
    "Bonne prise en charge, j'ai été tenu informé à chaque étape.",
    "Réglé rapidement, seul le suivi en ligne pourrait être plus détaillé.",
    NULL,
};
static const char *const rating_5[] = {
    "Parfait, réglé en deux jours. Merci beaucoup !",
    "Très réactif et très aimable au téléphone. Bravo.",
    "Je ne pensais pas que ce serait si rapide, merci à la mairie.",
    NULL,
};
const char *const *const demo_rating_comments[5] = {rating_1, rating_2, rating_3, rating_4,
                                                    rating_5};

const char *const demo_emoji_tails[] = {" 🙏", " ⚠️", " Merci 😊", " 😡", " 👍", NULL};

const char *const demo_association_names[] = {
    "Les Amis du Patrimoine",
    "Club de Judo Démo",
    "Comité des Fêtes",
    "Ensemble Vocal Allegro",
    "Jardins Partagés du Moulin",
    "Association des Parents d'Élèves",
    "Boxe Éducative Démo",
    "Les Petits Débrouillards du Quartier",
    NULL,
};

const char *const demo_texts_circumstances[] = {
    "Constaté en rentrant du travail, vers 19 h.",
    "Le vent a soufflé très fort toute la nuit.",
    "Un camion de livraison a heurté l'arbre en manœuvrant.",
    "Je ne sais pas depuis quand, je l'ai remarqué ce matin.",
    "Après l'orage de dimanche soir.",
    NULL,
};
const char *const demo_texts_damage[] = {
    "Il y a des éclats de verre et de bois sur le sol.",
    "Une planche est arrachée et des vis dépassent.",
    "Le pied est descellé, l'équipement bouge quand on s'appuie dessus.",
    "Tagué et en partie brûlé.",
    NULL,
};
const char *const demo_texts_situation[] = {
    "Situation difficile depuis la perte de mon emploi en début d'année.",
    "Je vis seule et mes enfants habitent loin.",
    "Retraité, je sors peu depuis mon opération de la hanche.",
    "Famille monoparentale avec deux enfants, revenus modestes.",
    NULL,
};
const char *const demo_texts_school[] = {
    "Allergie aux arachides (PAI en cours).",
    "Son frère est scolarisé dans la même école.",
    "Garde alternée : merci d'envoyer les courriers aux deux parents.",
    NULL,
};

/* One long e-mail (over 4,000 characters once assembled), so that the Open311 truncation
 * and the back office's long texts have something real to show. */
const char *const demo_long_email_paragraphs[] = {
    "Madame, Monsieur,\n\nJe me permets de vous écrire au nom de plusieurs riverains de notre "
    "rue, réunis la semaine dernière lors d'une réunion informelle dans la cour de notre "
    "immeuble, au sujet de l'état de la chaussée, qui se dégrade depuis maintenant plus d'un "
    "an sans qu'aucune intervention durable n'ait été réalisée.\n\n",
    "Le premier point concerne le grand nid de poule situé à la hauteur de notre entrée. Il "
    "s'est formé à la fin de l'hiver dernier, après les épisodes de gel, et n'a cessé de "
    "s'agrandir. Il mesure aujourd'hui, d'après nos mesures faites avec un simple mètre "
    "ruban, près de soixante-dix centimètres de long sur une quarantaine de large, et sa "
    "profondeur dépasse dix centimètres en son centre. Par temps de pluie, il se remplit "
    "d'eau et devient invisible : plusieurs automobilistes y ont abîmé leurs pneus ou leurs "
    "jantes, et un livreur à scooter a chuté il y a trois semaines, heureusement sans "
    "gravité.\n\n",
    "Le deuxième point concerne le trottoir qui longe les numéros pairs. Les racines des "
    "platanes ont soulevé le revêtement à plusieurs endroits et des plaques de bitume se "
    "détachent. Pour les personnes âgées de la résidence voisine, pour les parents avec "
    "poussette et pour les personnes en fauteuil roulant, le passage est devenu très "
    "difficile, voire impossible : elles sont obligées de descendre sur la chaussée, ce qui "
    "est dangereux aux heures de pointe, lorsque la circulation de transit est dense.\n\n",
    "Le troisième point concerne l'écoulement des eaux. La grille d'avaloir située au coin "
    "de la rue est partiellement bouchée par des feuilles et des déchets, et lors des orages "
    "de l'été dernier, l'eau est montée jusqu'au seuil des garages. Nous avons déjà signalé "
    "ce problème par téléphone à deux reprises, et un agent est passé une fois pour nettoyer "
    "la grille, mais le problème se reproduit à chaque saison.\n\n",
    "Nous sommes conscients que les moyens de la commune ne sont pas illimités et que les "
    "services techniques ont de nombreuses priorités. Nous tenons d'ailleurs à souligner la "
    "réactivité des équipes de la propreté, qui interviennent rapidement lorsque nous "
    "signalons des dépôts sauvages, ainsi que la gentillesse des agents de l'accueil, qui "
    "prennent toujours le temps de nous écouter. Notre démarche n'est donc pas une critique, "
    "mais une demande d'attention sur un problème qui nous semble devenir réellement "
    "dangereux.\n\n",
    "Nous souhaiterions savoir si la réfection de la chaussée et des trottoirs de notre rue "
    "est inscrite au programme pluriannuel de travaux de voirie, et si oui, à quelle "
    "échéance. Dans l'attente de travaux complets, serait-il possible de procéder au moins à "
    "un rebouchage provisoire du nid de poule et à la mise en place d'une signalisation "
    "temporaire, afin d'éviter un accident plus grave ?\n\n",
    "Nous serions également heureux de rencontrer l'élu chargé de la voirie, ou un "
    "technicien du service, lors d'une visite sur place, à la date qui vous conviendra. "
    "Plusieurs d'entre nous sont disponibles en fin de journée ou le samedi matin. Nous "
    "pouvons aussi vous transmettre les photographies que nous avons prises au fil des mois, "
    "qui montrent bien l'évolution de la situation depuis l'hiver dernier.\n\n",
    "Enfin, nous nous permettons de suggérer, pour la sécurité des enfants qui se rendent à "
    "pied au groupe scolaire Jules Ferry, la création d'un passage piéton supplémentaire à "
    "l'intersection, ainsi que l'installation de quelques potelets pour empêcher le "
    "stationnement sur le trottoir, qui aggrave encore la situation les jours de marché. "
    "Cette demande avait déjà été évoquée lors du dernier conseil de quartier, et nous "
    "avions cru comprendre qu'elle serait étudiée par vos services.\n\n",
    "Nous avons également constaté que le marquage au sol du passage piéton situé devant la "
    "boulangerie est presque effacé : la nuit, et surtout par temps de pluie, les "
    "automobilistes ne le voient plus, et plusieurs enfants ont failli être renversés à la "
    "sortie de l'école. Un simple rafraîchissement de la peinture, accompagné si possible d'un "
    "panneau lumineux, rendrait la traversée beaucoup plus sûre pour tous.\n\n",
    "Par ailleurs, l'éclairage public de la rue est insuffisant depuis le remplacement des "
    "anciennes lanternes : deux candélabres sur cinq restent éteints une bonne partie de la "
    "nuit, ce qui rend le trou dont nous parlions plus haut encore plus difficile à éviter "
    "pour les cyclistes qui rentrent tard du travail. Nous avons noté les numéros inscrits sur "
    "les mâts et pouvons vous les communiquer.\n\n",
    "Vous trouverez ci-dessous la liste des signataires de ce courrier, qui habitent tous la "
    "rue ou les rues adjacentes et qui souhaitent être tenus informés des suites données à "
    "leur démarche. Nous vous remercions par avance de l'attention que vous porterez à notre "
    "demande et restons à votre disposition pour tout complément d'information.\n\n",
    "Dans l'attente de votre réponse, nous vous prions d'agréer, Madame, Monsieur, "
    "l'expression de nos salutations distinguées.\n\nPour le collectif des riverains,\n",
    NULL,
};

const char demo_xml_text[] =
    "Tag « <script>alert('coucou')</script> » & insultes sur le mur de l'école \"Les "
    "Tilleuls\" : merci d'intervenir vite ! <b>urgent</b> (voir aussi l'entrée côté <rue> & "
    "parking).";

const char demo_emoji_text[] =
    "Encore un dépôt sauvage 😡🗑️ devant chez nous… Ça devient "
    "insupportable ! Matelas, "
    "frigo, sacs éventrés 🐀. Merci d'avance 🙏";

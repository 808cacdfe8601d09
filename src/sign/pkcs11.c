/*
 * pkcs11 — a key on a PKCS#11 token (see pkcs11.h). The module is loaded unmanaged by p11-kit
 * (its own C_Initialize, no proxy), one read-only session per signer.
 */
#include "sign/pkcs11.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <p11-kit/p11-kit.h>
#include <p11-kit/pkcs11.h>

/* The most slots looked at for a token's label. */
#define SLOTS_MAX 64

struct sign_token {
    CK_FUNCTION_LIST *m;
    CK_SESSION_HANDLE session;
    CK_OBJECT_HANDLE key;
    int logged_in;
};

/* Whether a token's label (32 bytes, blank-padded) is label. */
static int label_is(const CK_UTF8CHAR field[32], const char *label)
{
    size_t n = strlen(label);
    if (n > 32 || memcmp(field, label, n) != 0)
        return 0;
    for (size_t i = n; i < 32; i++)
        if (field[i] != ' ')
            return 0;
    return 1;
}

/* The first object of the session matching attrs (n of them), or CK_INVALID_HANDLE. */
static CK_OBJECT_HANDLE find_one(sign_token *t, CK_ATTRIBUTE *attrs, CK_ULONG n)
{
    CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
    CK_ULONG found = 0;
    if (t->m->C_FindObjectsInit(t->session, attrs, n) != CKR_OK)
        return CK_INVALID_HANDLE;
    if (t->m->C_FindObjects(t->session, &h, 1, &found) != CKR_OK || found != 1)
        h = CK_INVALID_HANDLE;
    t->m->C_FindObjectsFinal(t->session);
    return h;
}

/* An attribute's value read whole (two calls: its length, then it), caller frees; NULL when
 * absent or over 64 KiB. */
static unsigned char *get_attr(sign_token *t, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type,
                               CK_ULONG *len)
{
    CK_ATTRIBUTE a = {type, NULL, 0};
    if (t->m->C_GetAttributeValue(t->session, h, &a, 1) != CKR_OK || a.ulValueLen == 0 ||
        a.ulValueLen == CK_UNAVAILABLE_INFORMATION || a.ulValueLen > 65536)
        return NULL;
    if (!(a.pValue = malloc(a.ulValueLen)))
        return NULL;
    if (t->m->C_GetAttributeValue(t->session, h, &a, 1) != CKR_OK) {
        free(a.pValue);
        return NULL;
    }
    *len = a.ulValueLen;
    return a.pValue;
}

/* The slot holding the token labelled label: 0, or -1. */
static int find_slot(CK_FUNCTION_LIST *m, const char *label, CK_SLOT_ID *slot)
{
    CK_SLOT_ID slots[SLOTS_MAX];
    CK_ULONG n = SLOTS_MAX;
    if (m->C_GetSlotList(CK_TRUE, slots, &n) != CKR_OK)
        return -1;
    for (CK_ULONG i = 0; i < n; i++) {
        CK_TOKEN_INFO info;
        if (m->C_GetTokenInfo(slots[i], &info) == CKR_OK && label_is(info.label, label)) {
            *slot = slots[i];
            return 0;
        }
    }
    return -1;
}

int sign_key_load_pkcs11(const char *module_path, const char *token, const char *key,
                         const char *pin, sign_key *k, error *err)
{
    memset(k, 0, sizeof *k);
    if (strlen(token) > SIGN_PKCS11_LABEL_MAX || strlen(key) > SIGN_PKCS11_LABEL_MAX)
        return error_set(err, ERR_INVALID_ARG, "token", "a label is over %d bytes",
                         SIGN_PKCS11_LABEL_MAX);
    sign_token *t = calloc(1, sizeof *t);
    if (!t)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    t->session = CK_INVALID_HANDLE;
    k->token = t;
    if (!(t->m = p11_kit_module_load(module_path, P11_KIT_MODULE_UNMANAGED))) {
        return error_set(err, ERR_INVALID_ARG, "pkcs11-module", "cannot load the module: %s",
                         p11_kit_message() ? p11_kit_message() : "unknown error");
    }
    if (p11_kit_module_initialize(t->m) != CKR_OK) {
        p11_kit_module_release(t->m);
        t->m = NULL;
        return error_set(err, ERR_INVALID_ARG, "pkcs11-module", "the module does not initialise");
    }
    CK_SLOT_ID slot;
    if (find_slot(t->m, token, &slot) != 0)
        return error_set(err, ERR_INVALID_ARG, "token", "no token labelled '%s'", token);
    if (t->m->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &t->session) != CKR_OK) {
        t->session = CK_INVALID_HANDLE;
        return error_set(err, ERR_UNAVAILABLE, "token", "no session could be opened");
    }
    CK_RV rv = t->m->C_Login(t->session, CKU_USER, (CK_UTF8CHAR *)pin, strlen(pin));
    if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN)
        return error_set(err, ERR_INVALID_ARG, "pin",
                         rv == CKR_PIN_LOCKED ? "the PIN is locked" : "the PIN is refused");
    t->logged_in = 1;
    CK_OBJECT_CLASS priv = CKO_PRIVATE_KEY, certc = CKO_CERTIFICATE;
    CK_KEY_TYPE rsa = CKK_RSA;
    CK_ATTRIBUTE kq[] = {{CKA_CLASS, &priv, sizeof priv},
                         {CKA_KEY_TYPE, &rsa, sizeof rsa},
                         {CKA_LABEL, (void *)key, strlen(key)}};
    if ((t->key = find_one(t, kq, 3)) == CK_INVALID_HANDLE)
        return error_set(err, ERR_INVALID_ARG, "key", "no RSA private key labelled '%s'", key);
    /* The certificate: the key's CKA_ID is how tokens pair them; else the same label. */
    CK_ULONG idlen = 0, derlen = 0;
    unsigned char *id = get_attr(t, t->key, CKA_ID, &idlen);
    CK_ATTRIBUTE byid[] = {{CKA_CLASS, &certc, sizeof certc}, {CKA_ID, id, idlen}};
    CK_ATTRIBUTE bylabel[] = {{CKA_CLASS, &certc, sizeof certc},
                              {CKA_LABEL, (void *)key, strlen(key)}};
    CK_OBJECT_HANDLE cert = id ? find_one(t, byid, 2) : CK_INVALID_HANDLE;
    free(id);
    if (cert == CK_INVALID_HANDLE)
        cert = find_one(t, bylabel, 2);
    unsigned char *der = cert != CK_INVALID_HANDLE ? get_attr(t, cert, CKA_VALUE, &derlen) : NULL;
    const unsigned char *p = der;
    k->cert = der ? d2i_X509(NULL, &p, (long)derlen) : NULL;
    free(der);
    if (!k->cert)
        return error_set(err, ERR_INVALID_ARG, "key", "no certificate for the key '%s'", key);
    if (!(k->chain = sk_X509_new_null()))
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    return 0;
}

int sign_token_sign(sign_token *t, const unsigned char *data, size_t len, unsigned char **sig,
                    size_t *siglen, error *err)
{
    CK_MECHANISM mech = {CKM_SHA256_RSA_PKCS, NULL, 0};
    CK_ULONG n = 0;
    *sig = NULL;
    if (t->m->C_SignInit(t->session, &mech, t->key) != CKR_OK ||
        t->m->C_Sign(t->session, (CK_BYTE *)data, len, NULL, &n) != CKR_OK || n == 0 || n > 2048 ||
        !(*sig = OPENSSL_malloc(n)) ||
        t->m->C_Sign(t->session, (CK_BYTE *)data, len, *sig, &n) != CKR_OK) {
        OPENSSL_free(*sig);
        *sig = NULL;
        return error_set(err, ERR_UNAVAILABLE, "token", "the token did not sign");
    }
    *siglen = n;
    return 0;
}

void sign_token_free(sign_token *t)
{
    if (!t)
        return;
    if (t->m) {
        if (t->session != CK_INVALID_HANDLE) {
            if (t->logged_in)
                t->m->C_Logout(t->session);
            t->m->C_CloseSession(t->session);
        }
        p11_kit_module_finalize(t->m);
        p11_kit_module_release(t->m);
    }
    free(t);
}

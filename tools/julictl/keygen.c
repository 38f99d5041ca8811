/*  keygen: CURVE key pairs and the clients file (docs/security.md).
 *
 *    julictl keygen DIR                       the three daemons (role
 *                                             service) and an admin
 *    julictl keygen DIR --name N --role R     one client more
 *
 *  Each pair goes to DIR/NAME.key (mode 0600) and DIR/NAME.pub; its public
 *  key and role are added to DIR/clients. Nothing is ever overwritten: a
 *  name that has a key already is refused.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cmds.h"
#include "curve.h"

enum { O_NAME = 1, O_ROLE };

static const struct option s_opts[] = {
    {"name", required_argument, NULL, O_NAME},
    {"role", required_argument, NULL, O_ROLE},
    {NULL, 0, NULL, 0},
};

/* Makes one pair and adds its line to DIR/clients. */
static int s_one(const char *dir, const char *name, const char *role)
{
    char pub[41], err[700], path[600];
    if (curve_write_pair(dir, name, pub, err, sizeof err) < 0) {
        fprintf(stderr, "julictl keygen: %s\n", err);
        return CTL_EXIT_FAILED;
    }
    snprintf(path, sizeof path, "%s/clients", dir);
    FILE *f = fopen(path, "a");
    if (!f || fprintf(f, "%s %s %s\n", pub, role, name) < 0) {
        fprintf(stderr, "julictl keygen: %s: %s\n", path, strerror(errno));
        if (f)
            fclose(f);
        return CTL_EXIT_FAILED;
    }
    fclose(f);
    printf("%s: %s/%s.key (%s)\n", name, dir, name, role);
    return CTL_EXIT_OK;
}

static int s_keygen(ctl_t *ctl, int argc, char **argv)
{
    const char *name = NULL, *role = NULL;
    for (int c; (c = ctl_getopt(ctl, argc, argv, s_opts)) != CTL_OPT_END;) {
        if (c == O_NAME)
            name = optarg;
        else if (c == O_ROLE)
            role = optarg;
        else
            return ctl_opt_exit(c);
    }
    int rc = ctl_positionals(ctl, argc, argv, 1, 1, "DIR");
    if (rc)
        return rc;
    const char *dir = argv[optind];
    if (!name != !role)
        return ctl_usage(ctl, "--name and --role go together");
    if (role && !curve_role_valid(role))
        return ctl_usage(ctl, "not a role: %s (app, staff, admin, service, "
                              "unit:<id>)",
                         role);
    if (name && (!*name || strchr(name, '/') || strlen(name) > 64))
        return ctl_usage(ctl, "not a key name: %s", name);
    if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
        fprintf(stderr, "julictl keygen: %s: %s\n", dir, strerror(errno));
        return CTL_EXIT_FAILED;
    }
    if (name)
        return s_one(dir, name, role);
    static const char *const stack[][2] = {{"intake", "service"},
                                           {"dispatch", "service"},
                                           {"scoring", "service"},
                                           {"admin", "admin"}};
    for (size_t i = 0; i < sizeof stack / sizeof stack[0]; i++)
        if ((rc = s_one(dir, stack[i][0], stack[i][1])))
            return rc;
    return CTL_EXIT_OK;
}

const ctl_cmd_t cmd_keygen = {
    "keygen",
    "make CURVE key pairs and the clients file",
    "Usage: julictl keygen DIR [--name NAME --role ROLE]\n"
    "Without --name: key pairs for intake, dispatch and scoring (role\n"
    "service) and for an admin, in DIR. With --name and --role: one client\n"
    "more (ROLE: app, staff, admin, service or unit:<id>). Each pair is\n"
    "DIR/NAME.key (mode 0600) and DIR/NAME.pub, and its line is added to\n"
    "DIR/clients. A name that has a key already is refused. Then set\n"
    "[security] curve = on and keys = DIR (see docs/security.md).\n"
    CTL_HELP_GLOBAL,
    s_keygen,
};

/*  port: free TCP ports on 127.0.0.1 for the daemons a test or the
 *  benchmark starts.
 *
 *  Ports are taken below the kernel's ephemeral range (32768 and up),
 *  where the daemons' own outgoing connections get their local ports: a
 *  port handed out there could be taken by such a connection before its
 *  daemon binds it, or be handed out twice. Each process walks its own
 *  stretch of 20000-31999, skipping ports in use. No state is owned but
 *  the walk's position.
 */
#ifndef JULI_PORT_H
#define JULI_PORT_H

/* A port free at the time of the call, or -1 when none is found. */
int port_free(void);

#endif

/*  json: JSON text to MessagePack, so that tests and fuzz seeds can write
 *  requests as they read in the protocol doc.
 *
 *  Objects, arrays, strings (with \n \t \r \" \\ \/ and \uXXXX escapes of
 *  the Basic Multilingual Plane), integers, floats, true, false and null.
 *  Object keys keep their order. Nothing is owned: the bytes go into the
 *  caller's pack.
 */
#ifndef JULI_JSON_H
#define JULI_JSON_H

#include <stddef.h>

#include "pack.h"

/* Appends JSON as one MessagePack value to P. Returns 0, or -1 with the
 * reason and where in ERR (P then holds a part of the value). */
int json_pack(pack_t *p, const char *json, char *err, size_t errlen);

#endif

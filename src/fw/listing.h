/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The few facts fw reads back from the kernel, taken from nft's JSON
 * listings (libnftables with NFT_CTX_OUTPUT_JSON) instead of its
 * human-readable text: the verdict a dispatch map gives a port, the verdict
 * a macvtap hook chain ends with, whether a set holds a port, the port ids
 * of the mark map, the NFLOG group of a log rule. Pure (json-c only): a
 * listing in, values out, so it is tested on captured listings; apply.c
 * runs the commands. Internal to fw.
 */
#pragma once

#include <stddef.h>

#include "fw/record.h"

struct fw_listing;

/*
 * Parses the output of one nft -j list command. -EINVAL when it is not an
 * nftables JSON document ({"nftables": [...]}); -ENOMEM.
 */
int fw_listing_parse(const char *json, struct fw_listing **ret);
struct fw_listing *fw_listing_free(struct fw_listing *l);

static inline void fw_listing_freep(struct fw_listing **l)
{
	*l = fw_listing_free(*l);
}

/*
 * Verdicts come back as nft writes them: "jump CHAIN", "goto CHAIN",
 * "drop", "accept", "return", "continue". Each query returns 1 and fills
 * ret (size bytes) when found, 0 when the listing has no such map, chain or
 * key, -ENOSPC when the verdict does not fit, -EINVAL when the object is
 * malformed.
 */

/* The verdict the verdict map named map (in table FW_TABLE) gives key. */
int fw_listing_map_verdict(const struct fw_listing *l, const char *map, const char *key, char *ret,
			   size_t size);
/* The verdict that ends the last rule of chain (a macvtap hook chain's dispatch). */
int fw_listing_chain_verdict(const struct fw_listing *l, const char *chain, char *ret, size_t size);
/* 1 when the set or map named set holds the key key, 0 when not (or no such set). */
int fw_listing_has_key(const struct fw_listing *l, const char *set, const char *key);

/*
 * Adds to ids the port ids in the mark map named map (l3-in-ids: port
 * name : id << 16), except port except's own, which goes to *ret_except
 * (0 when it has none). Returns the number of ids read, or -EINVAL.
 */
int fw_listing_mark_ids(const struct fw_listing *l, const char *map, const char *except,
			struct fw_port_ids *ids, unsigned *ret_except);

/*
 * Calls fn with the key (an interface name and a number), packets and
 * bytes of every element of set, a set with a counter per element (drops);
 * returns how many, or -EINVAL when an element is of another form.
 */
int fw_listing_for_each_counter(const struct fw_listing *l, const char *set,
				void (*fn)(const char *name, uint64_t number, uint64_t packets,
					   uint64_t bytes, void *userdata),
				void *userdata);

/*
 * Calls fn with both parts of every element of set, whose keys are pairs
 * of strings as nft writes them (ifname . ipv6_addr); returns how many, or
 * -EINVAL when an element is of another form.
 */
int fw_listing_for_each_pair(const struct fw_listing *l, const char *set,
			     void (*fn)(const char *a, const char *b, void *userdata),
			     void *userdata);

/* Calls fn with the name of every chain of table FW_TABLE in the listing; returns how many. */
int fw_listing_for_each_chain(const struct fw_listing *l,
			      void (*fn)(const char *name, void *userdata), void *userdata);

/* The group of the first log statement in chain: 1 and *ret, or 0 when there is none. */
int fw_listing_log_group(const struct fw_listing *l, const char *chain, unsigned *ret);

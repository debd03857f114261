/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Who changed our tables: nftables' own notifications (NETLINK_NETFILTER,
 * group NFNLGRP_NFTABLES). The kernel sends one message per object a
 * transaction added or deleted, then NFT_MSG_NEWGEN with the pid and name
 * of the process that committed it. A transaction that touched a table
 * named FW_TABLE and was not committed by this process (an admin's
 * `nft flush ruleset`, an nftables.service reload, vifguardctl) is
 * reported once, at its NEWGEN, with what it did. A lost notification
 * (socket overrun) is reported as such: the caller must then assume the
 * worst. The parser is pure and bounds-checked; the socket is a thin
 * wrapper that only reads datagrams from the kernel.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* What one notification says, as far as the watch cares. */
enum fw_notice_kind {
	FW_NOTICE_OTHER,   /* a change to another table, or a message we do not read */
	FW_NOTICE_CHANGE,  /* an object of a table named FW_TABLE was added or deleted */
	FW_NOTICE_GEN_END, /* NEWGEN: the transaction is committed; pid says by whom */
};

/* The object kinds a change can be about, to say what was done. */
enum fw_object {
	FW_OBJ_TABLE,
	FW_OBJ_CHAIN,
	FW_OBJ_RULE,
	FW_OBJ_SET,
	FW_OBJ_ELEMENT,
	FW_OBJ_OTHER, /* objects, flowtables */
	_FW_OBJ_MAX,
};

struct fw_notice {
	enum fw_notice_kind kind;
	bool is_delete;        /* CHANGE: a DEL* message */
	enum fw_object object; /* CHANGE */
	uint8_t family;        /* CHANGE: NFPROTO_* of the table */
	uint32_t pid;          /* GEN_END: the committing process; 0 when not said */
	char comm[16];         /* GEN_END: its name, "" when not said */
};

/*
 * Parses exactly one netlink message (len must equal its nlmsg_len). Pure.
 * 0 and *ret; -EBADMSG when it is truncated or malformed; -ENOMSG when it
 * is not an nf_tables message.
 */
int fw_notice_parse(const void *buf, size_t len, struct fw_notice *ret);

/* What foreign transactions did to our tables since the last report. */
struct fw_damage {
	unsigned added[_FW_OBJ_MAX];
	unsigned deleted[_FW_OBJ_MAX];
	bool families[3]; /* by enum fw_attach, and [2]: the inet table */
	uint32_t pid;     /* of the last foreign commit; 0 when unknown */
	char comm[16];    /* its name */
	bool is_lost;     /* notifications were lost: anything may have happened */
};

/* Adds d to into: counts summed, the last process that changed the tables kept. */
void fw_damage_merge(struct fw_damage *into, const struct fw_damage *d);
/* Formats what damage says for a message ("'nft' (pid 12) deleted table bridge ..."). */
void fw_damage_format(const struct fw_damage *d, char *buf, size_t size);

struct fw_watch;

/* Opens the watch on the current network namespace. The caller owns *ret. */
int fw_watch_open(struct fw_watch **ret, struct err *err);
struct fw_watch *fw_watch_close(struct fw_watch *w);
int fw_watch_fd(const struct fw_watch *w);
/*
 * Reads what is queued (non-blocking). Returns 1 and fills *ret when a
 * foreign transaction changed our tables, or notifications were lost (then
 * ret->is_lost); 0 when nothing of the kind; -errno on a read error.
 */
int fw_watch_read(struct fw_watch *w, struct fw_damage *ret);

static inline void fw_watch_closep(struct fw_watch **w)
{
	*w = fw_watch_close(*w);
}

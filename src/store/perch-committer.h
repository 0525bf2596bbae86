/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-committer.h: group commit.
 *
 * Writes submitted from the main thread are queued to one writer thread,
 * which takes everything that arrived while the previous transaction ran and
 * commits it as one transaction (perch_store_write). Completions run on the
 * main context the committer was created on, in submission order, only after
 * the transaction is durable. This is what makes a post's SIP 200 a promise. */
#pragma once

#include "perch-store.h"

G_BEGIN_DECLS

typedef struct _PerchCommitter PerchCommitter;

/* Called on the main context. ERROR is NULL on success; WRITE has its ids. */
typedef void (*PerchCommitFunc) (PerchWrite *write, const GError *error, gpointer user_data);

PerchCommitter *perch_committer_new (PerchStore *store, guint max_batch);
/* Takes ownership of WRITE (freed after FUNC returns). */
void  perch_committer_submit (PerchCommitter *committer, PerchWrite *write,
                              PerchCommitFunc func, gpointer user_data);
/* Writes queued or being written, not yet completed. For load shedding. */
guint perch_committer_pending (PerchCommitter *committer);
/* Blocks until everything submitted so far is written and its callbacks ran. */
void  perch_committer_flush (PerchCommitter *committer);
/* Flushes, stops the thread and frees. */
void  perch_committer_free (PerchCommitter *committer);

G_END_DECLS

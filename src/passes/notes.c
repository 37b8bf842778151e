/*
 * notes.c - the optimizer's record of what it rewrote and why it left candidates alone
 * (ert_pass_notes, passes.h). Read by tests and `edgert inspect --optimized`.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "passes/passes.h"

/* The counter of `kind`, created on first use; NULL when the table is full (then the
 * kind is not counted: 48 kinds is far more than the passes have). */
static ert_pass_kind_count *kind_slot(ert_pass_notes *notes, const char *kind)
{
    for (int i = 0; i < notes->n_kinds; i++)
        if (!strcmp(notes->kinds[i].kind, kind))
            return &notes->kinds[i];
    if (notes->n_kinds == ERT_PASS_MAX_KINDS)
        return NULL;
    ert_pass_kind_count *c = &notes->kinds[notes->n_kinds++];
    snprintf(c->kind, sizeof c->kind, "%s", kind);
    c->applied = c->skipped = 0;
    return c;
}

void ert_pass_note_applied(ert_pass_notes *notes, const char *kind)
{
    ert_pass_kind_count *c = notes ? kind_slot(notes, kind) : NULL;
    if (c)
        c->applied++;
}

/* A candidate seen again (a pass run twice, see optimize.c) is neither counted nor
 * stored twice: its note is recognised by its text. */
void ert_pass_note_skipped(ert_pass_notes *notes, const char *kind, const char *fmt, ...)
{
    if (!notes)
        return;
    char text[ERT_PASS_NOTE_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    for (int i = 0; i < notes->n_notes; i++)
        if (!strcmp(notes->notes[i], text))
            return;
    ert_pass_kind_count *c = kind_slot(notes, kind);
    if (c)
        c->skipped++;
    if (notes->n_notes == ERT_PASS_MAX_NOTES) {
        notes->n_dropped++;
        return;
    }
    memcpy(notes->notes[notes->n_notes++], text, sizeof text);
}

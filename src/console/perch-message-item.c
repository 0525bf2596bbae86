/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-message-item.c: a message with properties for the row template to
 * bind; a replacement or a removal notifies "content" and the state's
 * properties so the row shows it at once. */
#include "config.h"

#include <glib/gi18n.h>

#include "perch-api.h"
#include "perch-message-item.h"

struct _PerchMessageItem {
  GObject  parent_instance;

  gint64   id;        /* the store's id; 0: not known (a live post) */
  char    *author;    /* without "sip:" */
  char    *ts;        /* ISO 8601, as sent */
  gint64   ts_us;
  char    *time;      /* local, "2026-11-24 06:12" */
  char    *content;
  char    *state;
};

G_DEFINE_FINAL_TYPE (PerchMessageItem, perch_message_item, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_AUTHOR,
  PROP_TIME,
  PROP_CONTENT,
  PROP_STATE,
  PROP_MARKED,
  PROP_STATE_LABEL,
  PROP_STATE_DESCRIPTION,
  PROP_HAS_CONTENT,
  N_PROPS
};
static GParamSpec *properties[N_PROPS];

PerchMessageItem *
perch_message_item_new (gint64 id, const char *author, const char *ts, const char *content)
{
  PerchMessageItem *self = g_object_new (PERCH_TYPE_MESSAGE_ITEM, NULL);
  self->id = id;
  author = author ? author : "";
  self->author = g_strdup (g_str_has_prefix (author, "sip:") ? author + 4 : author);
  self->content = g_strdup (content ? content : "");
  self->state = g_strdup ("normal");

  g_autoptr(GDateTime) dt = ts ? g_date_time_new_from_iso8601 (ts, NULL) : NULL;
  if (dt == NULL)
    dt = g_date_time_new_now_utc ();
  self->ts = ts ? g_strdup (ts) : g_date_time_format_iso8601 (dt);
  self->ts_us = g_date_time_to_unix (dt) * G_USEC_PER_SEC + g_date_time_get_microsecond (dt);
  g_autoptr(GDateTime) local = g_date_time_to_local (dt);
  /* Translators: a message's date and time, see g_date_time_format() */
  self->time = g_date_time_format (local, _("%Y-%m-%d %H:%M"));
  return self;
}

PerchMessageItem *
perch_message_item_new_from_json (JsonObject *message)
{
  PerchMessageItem *self = perch_message_item_new (perch_json_get_int (message, "id", 0),
                                                   perch_json_get_string (message, "author", ""),
                                                   perch_json_get_string (message, "ts", NULL),
                                                   perch_json_get_string (message, "content", ""));
  g_free (self->state);
  self->state = g_strdup (perch_json_get_string (message, "state", "normal"));
  return self;
}

gint64
perch_message_item_get_id (PerchMessageItem *self)
{
  return self->id;
}

const char *
perch_message_item_get_author (PerchMessageItem *self)
{
  return self->author;
}

gint64
perch_message_item_get_ts_us (PerchMessageItem *self)
{
  return self->ts_us;
}

const char *
perch_message_item_get_ts (PerchMessageItem *self)
{
  return self->ts;
}

const char *
perch_message_item_get_time (PerchMessageItem *self)
{
  return self->time;
}

const char *
perch_message_item_get_content (PerchMessageItem *self)
{
  return self->content;
}

const char *
perch_message_item_get_state (PerchMessageItem *self)
{
  return self->state;
}

gboolean
perch_message_item_get_marked (PerchMessageItem *self)
{
  return g_strcmp0 (self->state, "replaced") == 0 || g_strcmp0 (self->state, "removed") == 0;
}

const char *
perch_message_item_get_state_label (PerchMessageItem *self)
{
  if (g_strcmp0 (self->state, "replaced") == 0)
    /* Translators: a tag on a message of the History page */
    return C_("message", "Replaced");
  if (g_strcmp0 (self->state, "removed") == 0)
    /* Translators: a tag on a message of the History page */
    return C_("message", "Removed");
  return NULL;
}

const char *
perch_message_item_get_state_description (PerchMessageItem *self)
{
  if (g_strcmp0 (self->state, "replaced") == 0)
    return _("An administrator replaced this message: its text is the replacement, not what was written.");
  if (g_strcmp0 (self->state, "removed") == 0)
    return _("An administrator removed this message: only administrators still see that it was here.");
  return NULL;
}

static void
set_state (PerchMessageItem *self, const char *state, const char *content)
{
  g_free (self->content);
  self->content = g_strdup (content ? content : "");
  g_free (self->state);
  self->state = g_strdup (state);
  g_object_freeze_notify (G_OBJECT (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONTENT]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MARKED]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE_LABEL]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE_DESCRIPTION]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HAS_CONTENT]);
  g_object_thaw_notify (G_OBJECT (self));
}

void
perch_message_item_replace (PerchMessageItem *self, const char *content)
{
  g_return_if_fail (PERCH_IS_MESSAGE_ITEM (self));
  set_state (self, "replaced", content);
}

void
perch_message_item_remove (PerchMessageItem *self)
{
  g_return_if_fail (PERCH_IS_MESSAGE_ITEM (self));
  /* The server keeps the message with no text: a tombstone. */
  set_state (self, "removed", "");
}

static void
perch_message_item_finalize (GObject *object)
{
  PerchMessageItem *self = PERCH_MESSAGE_ITEM (object);
  g_free (self->author);
  g_free (self->ts);
  g_free (self->time);
  g_free (self->content);
  g_free (self->state);
  G_OBJECT_CLASS (perch_message_item_parent_class)->finalize (object);
}

static void
perch_message_item_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  PerchMessageItem *self = PERCH_MESSAGE_ITEM (object);
  switch (prop_id)
    {
    case PROP_AUTHOR:
      g_value_set_string (value, self->author);
      break;
    case PROP_TIME:
      g_value_set_string (value, self->time);
      break;
    case PROP_CONTENT:
      g_value_set_string (value, self->content);
      break;
    case PROP_STATE:
      g_value_set_string (value, self->state);
      break;
    case PROP_MARKED:
      g_value_set_boolean (value, perch_message_item_get_marked (self));
      break;
    case PROP_STATE_LABEL:
      /* "": the row's label is hidden then, and a label has no NULL text. */
      g_value_set_string (value, perch_message_item_get_marked (self) ? perch_message_item_get_state_label (self) : "");
      break;
    case PROP_STATE_DESCRIPTION:
      g_value_set_string (value, perch_message_item_get_state_description (self));
      break;
    case PROP_HAS_CONTENT:
      g_value_set_boolean (value, *self->content != '\0');
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
perch_message_item_class_init (PerchMessageItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = perch_message_item_finalize;
  object_class->get_property = perch_message_item_get_property;

  properties[PROP_AUTHOR] = g_param_spec_string ("author", NULL, NULL, NULL,
                                                 G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_TIME] = g_param_spec_string ("time", NULL, NULL, NULL,
                                               G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_CONTENT] = g_param_spec_string ("content", NULL, NULL, NULL,
                                                  G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATE] = g_param_spec_string ("state", NULL, NULL, NULL,
                                                G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_MARKED] = g_param_spec_boolean ("marked", NULL, NULL, FALSE,
                                                  G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATE_LABEL] = g_param_spec_string ("state-label", NULL, NULL, NULL,
                                                      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATE_DESCRIPTION] = g_param_spec_string ("state-description", NULL, NULL, NULL,
                                                            G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /* FALSE for a removed message: its row shows no empty line for the text. */
  properties[PROP_HAS_CONTENT] = g_param_spec_boolean ("has-content", NULL, NULL, FALSE,
                                                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
perch_message_item_init (PerchMessageItem *self)
{
}

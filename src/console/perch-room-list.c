/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-room-list.c: pages of GET /rooms appended as they arrive.
 *
 * Each load has its own cancellable; a reload cancels what is under way,
 * so an answer to an old query never lands in the list. */
#include "config.h"

#include <glib/gi18n.h>

#include "perch-api.h"
#include "perch-room-item.h"
#include "perch-room-list.h"

/* Rows within this distance of the end ask for the next page. */
#define PREFETCH_ROWS 30

struct _PerchRoomList {
  GObject       parent_instance;

  PerchApi     *api;
  GPtrArray    *rooms;          /* PerchRoomItem */
  char         *next_cursor;    /* NULL: no further page */
  GCancellable *cancellable;    /* of the load under way */
  gboolean      loaded;         /* the first page of this query arrived */

  char         *text;
  char         *category;
  char         *privacy;
  char         *type;
  char         *disabled;
  char         *sort;
  gboolean      descending;
  guint         page_size;
};

static void perch_room_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (PerchRoomList, perch_room_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, perch_room_list_model_init))

enum {
  PROP_0,
  PROP_LOADING,
  PROP_HAS_MORE,
  PROP_LOADED,
  N_PROPS
};
static GParamSpec *properties[N_PROPS];

enum {
  SIGNAL_ERROR,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

/* ---- GListModel ---------------------------------------------------------------- */

static GType
perch_room_list_get_item_type (GListModel *model)
{
  return PERCH_TYPE_ROOM_ITEM;
}

static guint
perch_room_list_get_n_items (GListModel *model)
{
  return PERCH_ROOM_LIST (model)->rooms->len;
}

static gpointer
perch_room_list_get_item (GListModel *model, guint position)
{
  PerchRoomList *self = PERCH_ROOM_LIST (model);
  if (position >= self->rooms->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->rooms, position));
}

static void
perch_room_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = perch_room_list_get_item_type;
  iface->get_n_items = perch_room_list_get_n_items;
  iface->get_item = perch_room_list_get_item;
}

/* ---- loading ------------------------------------------------------------------- */

static void
append_param (GString *path, const char *name, const char *value)
{
  if (value == NULL || *value == '\0')
    return;
  g_autofree char *escaped = perch_api_escape (value);
  g_string_append_printf (path, "&%s=%s", name, escaped);
}

static char *
page_path (PerchRoomList *self, const char *cursor)
{
  GString *path = g_string_new (NULL);
  g_string_append_printf (path, "/rooms?limit=%u", self->page_size);
  append_param (path, "text", self->text);
  append_param (path, "category", self->category);
  append_param (path, "privacy", self->privacy);
  append_param (path, "type", self->type);
  append_param (path, "disabled", self->disabled);
  append_param (path, "sort", self->sort);
  if (self->descending)
    append_param (path, "order", "desc");
  append_param (path, "cursor", cursor);
  return g_string_free (path, FALSE);
}

typedef struct {
  PerchRoomList *self;
  gboolean       first;   /* the first page: replaces what is shown */
} Load;

static void
on_page (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Load *load = user_data;
  g_autoptr(PerchRoomList) self = load->self;
  gboolean first = load->first;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) page = perch_api_get_finish (PERCH_API (source), result, &error);
  g_free (load);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;   /* a newer load took its place */
  g_clear_object (&self->cancellable);

  JsonObject *obj = page && JSON_NODE_HOLDS_OBJECT (page) ? json_node_get_object (page) : NULL;
  JsonNode *items = obj ? json_object_get_member (obj, "items") : NULL;
  if (error == NULL && (items == NULL || !JSON_NODE_HOLDS_ARRAY (items)))
    error = g_error_new_literal (PERCH_API_ERROR, PERCH_API_ERROR_INVALID_REPLY,
                                 _("The server’s list of rooms is not one"));
  if (error != NULL)
    {
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
      g_signal_emit (self, signals[SIGNAL_ERROR], 0, error);
      return;
    }

  JsonArray *array = json_node_get_array (items);
  guint n = json_array_get_length (array);
  guint removed = 0, position = self->rooms->len;
  if (first)
    {
      removed = self->rooms->len;
      position = 0;
      g_ptr_array_set_size (self->rooms, 0);
    }
  for (guint i = 0; i < n; i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      if (JSON_NODE_HOLDS_OBJECT (element))
        g_ptr_array_add (self->rooms, perch_room_item_new (json_node_get_object (element)));
    }
  g_free (self->next_cursor);
  self->next_cursor = g_strdup (perch_json_get_string (obj, "next_cursor", NULL));
  gboolean was_loaded = self->loaded;
  self->loaded = TRUE;

  g_list_model_items_changed (G_LIST_MODEL (self), position, removed, self->rooms->len - position);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HAS_MORE]);
  if (!was_loaded)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADED]);
}

static void
load (PerchRoomList *self, const char *cursor)
{
  g_autofree char *path = page_path (self, cursor);
  Load *data = g_new0 (Load, 1);
  data->self = g_object_ref (self);
  data->first = cursor == NULL;
  self->cancellable = g_cancellable_new ();
  perch_api_get_async (self->api, path, self->cancellable, on_page, data);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

void
perch_room_list_reload (PerchRoomList *self)
{
  g_return_if_fail (PERCH_IS_ROOM_LIST (self));

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->next_cursor, g_free);
  gboolean was_loaded = self->loaded;
  self->loaded = FALSE;
  if (was_loaded)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADED]);
  if (self->api == NULL)
    {
      guint removed = self->rooms->len;
      g_ptr_array_set_size (self->rooms, 0);
      if (removed > 0)
        g_list_model_items_changed (G_LIST_MODEL (self), 0, removed, 0);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
      return;
    }
  load (self, NULL);
}

void
perch_room_list_ensure (PerchRoomList *self, guint position)
{
  g_return_if_fail (PERCH_IS_ROOM_LIST (self));

  if (self->cancellable != NULL || self->next_cursor == NULL || self->api == NULL)
    return;
  if (position + PREFETCH_ROWS < self->rooms->len)
    return;
  g_autofree char *cursor = g_strdup (self->next_cursor);
  load (self, cursor);
}

/* ---- the query ----------------------------------------------------------------- */

static gboolean
replace (char **field, const char *value)
{
  const char *v = value && *value ? value : NULL;
  if (g_strcmp0 (*field, v) == 0)
    return FALSE;
  g_free (*field);
  *field = g_strdup (v);
  return TRUE;
}

void
perch_room_list_set_api (PerchRoomList *self, PerchApi *api)
{
  g_return_if_fail (PERCH_IS_ROOM_LIST (self));
  if (g_set_object (&self->api, api))
    perch_room_list_reload (self);
}

void
perch_room_list_set_text (PerchRoomList *self, const char *text)
{
  if (replace (&self->text, text))
    perch_room_list_reload (self);
}

void
perch_room_list_set_category (PerchRoomList *self, const char *category)
{
  if (replace (&self->category, category))
    perch_room_list_reload (self);
}

void
perch_room_list_set_privacy (PerchRoomList *self, const char *privacy)
{
  if (replace (&self->privacy, privacy))
    perch_room_list_reload (self);
}

void
perch_room_list_set_room_type (PerchRoomList *self, const char *type)
{
  if (replace (&self->type, type))
    perch_room_list_reload (self);
}

void
perch_room_list_set_disabled (PerchRoomList *self, const char *disabled)
{
  if (replace (&self->disabled, disabled))
    perch_room_list_reload (self);
}

void
perch_room_list_set_sort (PerchRoomList *self, const char *sort, gboolean descending)
{
  gboolean changed = replace (&self->sort, sort);
  if (self->descending != descending)
    {
      self->descending = descending;
      changed = TRUE;
    }
  if (changed)
    perch_room_list_reload (self);
}

void
perch_room_list_set_page_size (PerchRoomList *self, guint page_size)
{
  g_return_if_fail (PERCH_IS_ROOM_LIST (self));
  self->page_size = CLAMP (page_size, 1, 1000);
}

gboolean
perch_room_list_get_loading (PerchRoomList *self)
{
  g_return_val_if_fail (PERCH_IS_ROOM_LIST (self), FALSE);
  return self->cancellable != NULL;
}

gboolean
perch_room_list_get_has_more (PerchRoomList *self)
{
  g_return_val_if_fail (PERCH_IS_ROOM_LIST (self), FALSE);
  return self->next_cursor != NULL;
}

gboolean
perch_room_list_get_loaded (PerchRoomList *self)
{
  g_return_val_if_fail (PERCH_IS_ROOM_LIST (self), FALSE);
  return self->loaded;
}

PerchRoomItem *
perch_room_list_find (PerchRoomList *self, const char *name)
{
  g_return_val_if_fail (PERCH_IS_ROOM_LIST (self), NULL);
  for (guint i = 0; i < self->rooms->len; i++)
    if (g_strcmp0 (perch_room_item_get_name (g_ptr_array_index (self->rooms, i)), name) == 0)
      return g_ptr_array_index (self->rooms, i);
  return NULL;
}

/* ---- object -------------------------------------------------------------------- */

static void
perch_room_list_dispose (GObject *object)
{
  PerchRoomList *self = PERCH_ROOM_LIST (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->api);

  G_OBJECT_CLASS (perch_room_list_parent_class)->dispose (object);
}

static void
perch_room_list_finalize (GObject *object)
{
  PerchRoomList *self = PERCH_ROOM_LIST (object);

  g_ptr_array_unref (self->rooms);
  g_free (self->next_cursor);
  g_free (self->text);
  g_free (self->category);
  g_free (self->privacy);
  g_free (self->type);
  g_free (self->disabled);
  g_free (self->sort);

  G_OBJECT_CLASS (perch_room_list_parent_class)->finalize (object);
}

static void
perch_room_list_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  PerchRoomList *self = PERCH_ROOM_LIST (object);

  switch (prop_id)
    {
    case PROP_LOADING:
      g_value_set_boolean (value, perch_room_list_get_loading (self));
      break;
    case PROP_HAS_MORE:
      g_value_set_boolean (value, perch_room_list_get_has_more (self));
      break;
    case PROP_LOADED:
      g_value_set_boolean (value, self->loaded);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
perch_room_list_class_init (PerchRoomListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = perch_room_list_dispose;
  object_class->finalize = perch_room_list_finalize;
  object_class->get_property = perch_room_list_get_property;

  properties[PROP_LOADING] = g_param_spec_boolean ("loading", NULL, NULL, FALSE,
                                                   G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_HAS_MORE] = g_param_spec_boolean ("has-more", NULL, NULL, FALSE,
                                                    G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_LOADED] = g_param_spec_boolean ("loaded", NULL, NULL, FALSE,
                                                  G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_ERROR] = g_signal_new ("error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                        0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
perch_room_list_init (PerchRoomList *self)
{
  self->rooms = g_ptr_array_new_with_free_func (g_object_unref);
  self->sort = g_strdup ("name");
  self->page_size = PERCH_ROOM_LIST_PAGE_SIZE;
}

PerchRoomList *
perch_room_list_new (void)
{
  return g_object_new (PERCH_TYPE_ROOM_LIST, NULL);
}

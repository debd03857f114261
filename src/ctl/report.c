/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* JSON for offline CLI results (validate). */
#include "report.h"

#include <json-c/json.h>
#include <string.h>

static int add_string_array(json_object *obj, const char *key, const char *const *items, size_t n)
{
	json_object *arr = json_object_new_array();

	if (!arr)
		return -1;
	for (size_t i = 0; i < n; i++) {
		json_object *s = json_object_new_string(items[i]);

		if (!s || json_object_array_add(arr, s) < 0) {
			json_object_put(s);
			json_object_put(arr);
			return -1;
		}
	}
	return json_object_object_add(obj, key, arr);
}

static int add_optional_string(json_object *obj, const char *key, const char *value)
{
	json_object *s = value ? json_object_new_string(value) : NULL;

	if (value && !s)
		return -1;
	return json_object_object_add(obj, key, s);
}

char *ctl_validation_format(const struct ctl_validation *v)
{
	json_object *obj = json_object_new_object();
	char *text = NULL;

	if (!obj)
		return NULL;
	if (add_optional_string(obj, "file", v->file) < 0 ||
	    json_object_object_add(obj, "valid", json_object_new_boolean(v->is_valid)) < 0 ||
	    add_optional_string(obj, "kind", v->kind) < 0 ||
	    add_optional_string(obj, "name", v->name) < 0 ||
	    add_string_array(obj, "errors", v->errors, v->n_errors) < 0 ||
	    add_string_array(obj, "warnings", v->warnings, v->n_warnings) < 0)
		goto out;
	text = strdup(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN));
out:
	json_object_put(obj);
	return text;
}

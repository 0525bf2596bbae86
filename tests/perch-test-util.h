/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-test-util.h: helpers shared by the test programs. */
#pragma once
#include <glib.h>

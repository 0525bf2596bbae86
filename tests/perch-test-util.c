/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-test-util.c: helpers shared by the test programs. */
#include "config.h"
#include "perch-test-util.h"

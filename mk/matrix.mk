# SPDX-License-Identifier: GPL-2.0
# The test matrix table (docs/matrix.md) from the last testbed run.
.PHONY: matrix matrix-doc

matrix:
	@$(TOP)/scripts/matrix.sh

matrix-doc:
	@$(TOP)/scripts/matrix.sh $(TOP)/docs/matrix.md

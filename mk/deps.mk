# mk/deps.mk: the Debian packages the build and the tests need.
# `make deps` installs the missing ones when run as root (apt-get), else names them.
BUILD_PKGS ?= $(shell sed 's/\#.*//' config/packages-build.txt)
TEST_PKGS ?= $(shell sed 's/\#.*//' tests/packages.txt)

# $(call install_missing,PACKAGES)
define install_missing
	@missing=""; for p in $(1); do \
		dpkg-query -W -f='$${Status}\n' "$$p" 2>/dev/null | grep -q '^install ok installed' \
			|| missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "  DEPS   installing:$$missing"; \
			{ [ -n "$$(find /var/lib/apt/lists -name '*Packages*' 2>/dev/null | head -n 1)" ] || apt-get update -q; } && \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing \
			|| { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; } \
			|| { echo "make: could not install:$$missing" >&2; exit 1; }; \
		else \
			echo "make: missing Debian packages:$$missing" >&2; \
			echo "make: install them with: sudo apt-get install$$missing" >&2; exit 1; \
		fi; \
	fi
endef

deps:
	$(call install_missing,$(BUILD_PKGS))

check-deps: deps
	$(call install_missing,$(TEST_PKGS))

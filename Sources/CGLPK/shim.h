// GLPK's C API (Debian package libglpk-dev; it ships no pkg-config file).
#include <glpk.h>

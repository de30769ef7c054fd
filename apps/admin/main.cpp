#include "app/app.h"

int main(int argc, char** argv) { return nguon::app::admin_main(argc, argv); }

#include "app/app.h"

int main(int argc, char** argv) { return nguon::app::server_main(argc, argv); }

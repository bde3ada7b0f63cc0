#pragma once
/// `mcpcert-backend --generate-fixture --users N --apps M --seed S [--tenant ID]`.
int generate_fixture_main(int argc, char** argv);

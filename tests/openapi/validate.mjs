// Validates an OpenAPI document against the official OpenAPI 3.1 JSON schema
// (the validator pins the schema of each version it supports) and prints
// every problem found. Exit 0 only for a valid 3.1 document.
import { Validator } from "@seriousme/openapi-schema-validator";

const file = process.argv[2];
if (!file) {
  console.error("usage: node validate.mjs OPENAPI.yaml");
  process.exit(2);
}
const validator = new Validator();
const result = await validator.validate(file);
if (validator.version !== "3.1") {
  console.error(`${file}: OpenAPI ${validator.version}, expected 3.1`);
  process.exit(1);
}
if (!result.valid) {
  console.error(`${file}: not a valid OpenAPI 3.1 document`);
  console.error(JSON.stringify(result.errors, null, 2));
  process.exit(1);
}
console.log(`${file}: valid OpenAPI ${validator.version}`);

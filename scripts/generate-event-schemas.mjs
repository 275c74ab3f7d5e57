// Writes src/events/asyncapi/event-schemas.ts, the JSON Schemas of the event messages, from the
// server's message types (src/events/events.types.ts) and its catalog
// (src/events/event-catalog.ts): the AsyncAPI document (GET /api/events.json) describes each
// payload from the same types the server compiles against, and a unit test
// (src/events/asyncapi/event-schemas.spec.ts) fails when the file is behind. Run
// `npm run generate`; `--stdout` prints the file instead of writing it.
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import ts from 'typescript';
import { catalogRows } from './generate-client-events.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const TYPES = 'src/events/events.types.ts';
const CATALOG = 'src/events/event-catalog.ts';
const EVENT_SCHEMAS = 'src/events/asyncapi/event-schemas.ts';
/** Where the schemas sit in the AsyncAPI document, which their references point into. */
const SCHEMA_REF = '#/components/schemas/';

const reference = (symbol) => ({ $ref: `${SCHEMA_REF}${symbol.name}` });

/** A literal type, or null: a value an enum lists. */
const isLiteral = (type) =>
  type.isLiteral() || type.flags & (ts.TypeFlags.BooleanLiteral | ts.TypeFlags.Null);

/** A reference takes no sibling keywords in draft-07: a described one is wrapped in allOf. */
const withDescription = (description, schema) =>
  schema.$ref && description.description
    ? { ...description, allOf: [schema] }
    : { ...description, ...schema };

const schemaOrTrue = (schema) => (Object.keys(schema).length === 0 ? true : schema);

/**
 * One JSON Schema (draft-07, as AsyncAPI 3.0 reads it) per exported interface and type alias of
 * the types file, by name; a property whose type is another of them refers to it.
 */
function typeSchemas(fileName) {
  // The types file imports nothing: the ES5 library (for Record) is all it needs, and no @types.
  const program = ts.createProgram([fileName], {
    strict: true,
    noEmit: true,
    lib: ['lib.es5.d.ts'],
    types: [],
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(fileName);
  const declarations = source.statements.filter(
    (statement) =>
      (ts.isInterfaceDeclaration(statement) || ts.isTypeAliasDeclaration(statement)) &&
      statement.modifiers?.some((modifier) => modifier.kind === ts.SyntaxKind.ExportKeyword),
  );
  const named = new Set(
    declarations.map((declaration) => checker.getSymbolAtLocation(declaration.name)),
  );

  const describedBy = (symbol) => {
    const text = ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim();
    return text === '' ? {} : { description: text.replace(/\s*\n\s*/g, ' ') };
  };

  /** A reference where the type is one of the named declarations, else the schema itself. */
  const schemaOf = (type) => {
    const symbol = type.aliasSymbol ?? type.symbol;
    if (symbol && named.has(symbol) && (type.aliasSymbol || type.isClassOrInterface())) {
      return reference(symbol);
    }
    return structureOf(type);
  };

  const structureOf = (type) => {
    const flags = type.flags;
    if (flags & ts.TypeFlags.String) return { type: 'string' };
    if (flags & ts.TypeFlags.Number) return { type: 'number' };
    if (flags & ts.TypeFlags.Boolean) return { type: 'boolean' };
    if (flags & ts.TypeFlags.Null) return { type: 'null' };
    if (flags & (ts.TypeFlags.Unknown | ts.TypeFlags.Any)) return {};
    if (type.isLiteral() || flags & ts.TypeFlags.BooleanLiteral) return { const: literalOf(type) };
    if (type.isUnion()) return unionOf(type.types);
    if (checker.isArrayType(type)) {
      return { type: 'array', items: schemaOf(checker.getTypeArguments(type)[0]) };
    }
    if (flags & ts.TypeFlags.Object) return objectOf(type);
    throw new Error(`${TYPES}: no JSON Schema for the type ${checker.typeToString(type)}`);
  };

  const literalOf = (type) =>
    type.isLiteral() ? type.value : checker.typeToString(type) === 'true';

  /** `'a' | 'b'` as an enum, `string | null` as a list of types, anything else as anyOf. */
  const unionOf = (members) => {
    const present = members.filter((member) => !(member.flags & ts.TypeFlags.Undefined));
    if (present.every(isLiteral)) {
      const values = present.map((member) =>
        member.flags & ts.TypeFlags.Null ? null : literalOf(member),
      );
      if (values.includes(true) && values.includes(false)) {
        return { type: values.includes(null) ? ['boolean', 'null'] : 'boolean' };
      }
      return { enum: values };
    }
    const schemas = present.map(schemaOf);
    if (
      schemas.every((schema) => typeof schema.type === 'string' && Object.keys(schema).length === 1)
    ) {
      // TypeScript orders a union its own way; `null` last reads as `string | null` was written.
      const types = schemas.map((schema) => schema.type);
      return { type: [...types.filter((t) => t !== 'null'), ...types.filter((t) => t === 'null')] };
    }
    return { anyOf: schemas };
  };

  /** Properties as declared (optional ones not required); no index signature: no others. */
  const objectOf = (type) => {
    const properties = {};
    const required = [];
    for (const property of checker.getPropertiesOfType(type)) {
      properties[property.name] = withDescription(describedBy(property), propertySchema(property));
      if (!(property.flags & ts.SymbolFlags.Optional)) required.push(property.name);
    }
    const index = checker
      .getIndexInfosOfType(type)
      .find((info) => info.keyType.flags & ts.TypeFlags.String);
    const additionalProperties = index ? schemaOrTrue(schemaOf(index.type)) : false;
    return {
      type: 'object',
      ...(required.length > 0 ? { required } : {}),
      ...(Object.keys(properties).length > 0 ? { properties } : {}),
      additionalProperties,
    };
  };

  /**
   * As declared: a property typed by one of the named declarations refers to it even where the
   * type it names has no name of its own (`LibraryType`, an indexed access), and an optional
   * property's type is the one written, without the `undefined` TypeScript adds.
   */
  const propertySchema = (property) => {
    const declaration = property.valueDeclaration;
    if (!declaration || !ts.isPropertySignature(declaration) || !declaration.type) {
      return schemaOf(checker.getTypeOfSymbol(property));
    }
    const node = declaration.type;
    if (ts.isTypeReferenceNode(node)) {
      const symbol = checker.getSymbolAtLocation(node.typeName);
      if (named.has(symbol)) return reference(symbol);
    }
    return schemaOf(checker.getTypeFromTypeNode(node));
  };

  const schemas = {};
  declarations.forEach((declaration, position) => {
    const symbol = checker.getSymbolAtLocation(declaration.name);
    const type = checker.getDeclaredTypeOfSymbol(symbol);
    schemas[symbol.name] = {
      ...(fileCommentAbove(declaration, position) ? {} : describedBy(symbol)),
      ...structureOf(type),
    };
  });
  return schemas;
}

/**
 * A comment that stands apart (a blank line below it) above the first declaration is the file's,
 * not the declaration's, though TypeScript hands it to the declaration.
 */
function fileCommentAbove(declaration, position) {
  if (position > 0 || declaration.parent.statements[0] !== declaration) return false;
  const text = declaration.getSourceFile().text;
  const leading = text.slice(declaration.getFullStart(), declaration.getStart());
  return /\*\/[ \t]*\r?\n[ \t]*\r?\n/.test(leading);
}

async function renderEventSchemas() {
  const catalog = await readFile(`${root}/${CATALOG}`, 'utf8');
  const rows = catalogRows(catalog);
  const schemas = typeSchemas(`${root}/${TYPES}`);
  for (const { name, message } of rows) {
    if (!schemas[message]) throw new Error(`${CATALOG}: ${name}'s ${message} is not in ${TYPES}`);
  }
  const text = [
    `// Generated by scripts/generate-event-schemas.mjs from the server's ${TYPES} and`,
    `// ${CATALOG}: do not edit; \`npm run generate\` writes it again.`,
    '',
    "import type { EventSchemas } from './asyncapi.types.js';",
    '',
    '/**',
    ` * The JSON Schema of each message type of ${TYPES} (\`types\`, referring to one`,
    ` * another as \`${SCHEMA_REF}<name>\`, where the AsyncAPI document keeps them), and the`,
    " * message type of each row of Reelay's catalog (`messageTypes`).",
    ' */',
    `export const EVENT_SCHEMAS: EventSchemas = ${JSON.stringify({
      types: schemas,
      messageTypes: Object.fromEntries(rows.map(({ name, message }) => [name, message])),
    })};`,
    '',
  ].join('\n');
  const options = await resolveConfig(`${root}/${EVENT_SCHEMAS}`);
  return format(text, { ...options, filepath: EVENT_SCHEMAS });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const text = await renderEventSchemas();
  if (process.argv.includes('--stdout')) process.stdout.write(text);
  else await writeFile(`${root}/${EVENT_SCHEMAS}`, text);
}

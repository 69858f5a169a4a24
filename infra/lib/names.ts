/** `deploy-stack` -> `DeployStack`: construct ids from the registry's kebab-case ids. */
export function pascalCase(id: string): string {
  return id
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

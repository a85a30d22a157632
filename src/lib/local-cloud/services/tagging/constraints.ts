/** The Resource Groups Tagging API's input constraints, from its model (GetResources' members). */
import type { Constraints } from '../../protocols/validate-input.js';

export const taggingConstraints: Constraints = {
  'GetResourcesInput.ResourcesPerPage': { range: [1, 100] },
  'GetResourcesInput.TagFilters': { length: [0, 50] },
  'GetResourcesInput.ResourceTypeFilters': { length: [0, 100] },
  'GetResourcesInput.PaginationToken': { length: [0, 2048] },
};

import { Module } from '@nestjs/common';
import { LibrariesModule } from '../libraries/libraries.module.js';
import {
  EpisodesController,
  MoviesController,
  PeopleController,
  SeriesController,
  TagsController,
} from './catalog.controller.js';
import { CatalogRepository } from './catalog.repository.js';
import { CatalogService } from './catalog.service.js';

/** Series and their episodes, movies, people and tags of a library. */
@Module({
  imports: [LibrariesModule],
  controllers: [
    SeriesController,
    EpisodesController,
    MoviesController,
    PeopleController,
    TagsController,
  ],
  providers: [CatalogRepository, CatalogService],
})
export class CatalogModule {}
